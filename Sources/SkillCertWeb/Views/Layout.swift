import SkillCertCore
import Vapor

/// The frame of every page: header with the body's name, navigation by department, language switch, account.
enum Layout {
    struct NavItem {
        var path: String
        var zh: String
        var en: String
    }

    struct NavGroup {
        var zh: String
        var en: String
        var items: [NavItem]
    }

    /// Navigation by department. An item shows only when the user's roles pass its route's declared access.
    static let navigation: [NavGroup] = [
        NavGroup(zh: "工作台", en: "Home", items: [
            NavItem(path: "/dashboard", zh: "工作台", en: "Dashboard"),
        ]),
        NavGroup(zh: "标准与申报条件", en: "Standards & eligibility", items: [
            NavItem(path: "/standards", zh: "职业技能标准", en: "Occupational standards"),
            NavItem(path: "/eligibility", zh: "申报条件判定", en: "Eligibility check"),
        ]),
        NavGroup(zh: "命题与考评", en: "Items & examiners", items: [
            NavItem(path: "/items", zh: "题库", en: "Item bank"),
            NavItem(path: "/papers", zh: "组卷与试卷", en: "Papers"),
            NavItem(path: "/marking", zh: "填空题评阅", en: "Marking queue"),
            NavItem(path: "/scoring", zh: "考评评分", en: "Panel scoring"),
            NavItem(path: "/registry", zh: "考评员与督导员", en: "Examiners & supervisors"),
        ]),
        NavGroup(zh: "认定计划", en: "Plans", items: [
            NavItem(path: "/plans", zh: "认定计划", en: "Certification plans"),
            NavItem(path: "/announcements", zh: "公开公告", en: "Public announcements"),
            NavItem(path: "/publicity", zh: "结果公示", en: "Results publicity"),
        ]),
        NavGroup(zh: "考务", en: "Exam affairs", items: [
            NavItem(path: "/review", zh: "资格审核", en: "Eligibility review"),
            NavItem(path: "/candidates", zh: "考生", en: "Candidates"),
            NavItem(path: "/sessions", zh: "场次与考场", en: "Sessions & rooms"),
            NavItem(path: "/score-reviews", zh: "成绩复核", en: "Score reviews"),
        ]),
        NavGroup(zh: "证书", en: "Certificates", items: [
            NavItem(path: "/certificates", zh: "证书管理", en: "Certificates"),
            NavItem(path: "/verify", zh: "证书查询验证", en: "Verify a certificate"),
        ]),
        NavGroup(zh: "统筹与系统设置", en: "Coordination & settings", items: [
            NavItem(path: "/settings/body", zh: "机构信息", en: "Certification body"),
            NavItem(path: "/settings/calendar", zh: "工作日历", en: "Working calendar"),
            NavItem(path: "/settings/rules", zh: "规则参数", en: "Rules"),
            NavItem(path: "/regulations", zh: "制度建设", en: "Regulations"),
            NavItem(path: "/admin/users", zh: "用户与角色", en: "Users & roles"),
            NavItem(path: "/archive", zh: "认定档案", en: "Dossiers"),
            NavItem(path: "/archive/retention", zh: "保存期限与销毁", en: "Retention"),
        ]),
        NavGroup(zh: "监督与质控", en: "Supervision & QC", items: [
            NavItem(path: "/statistics", zh: "统计分析", en: "Statistics"),
            NavItem(path: "/quality/papers", zh: "试卷质量分析", en: "Paper analysis"),
            NavItem(path: "/quality/examiners", zh: "考评员一致性", en: "Examiner consistency"),
            NavItem(path: "/audit", zh: "审计日志", en: "Audit log"),
            NavItem(path: "/complaints", zh: "申诉与投诉", en: "Complaints"),
        ]),
        NavGroup(zh: "个人", en: "Me", items: [
            NavItem(path: "/me/profile", zh: "个人信息", en: "My profile"),
            NavItem(path: "/me/applications", zh: "我的报名", en: "My applications"),
            NavItem(path: "/me/tickets", zh: "我的准考证", en: "My admission tickets"),
            NavItem(path: "/me/dossier", zh: "评审材料", en: "Review dossier"),
            NavItem(path: "/me/results", zh: "我的成绩", en: "My results"),
            NavItem(path: "/me/certificates", zh: "我的证书", en: "My certificates"),
            NavItem(path: "/me/relations", zh: "回避申报", en: "Declared relations"),
            NavItem(path: "/account", zh: "我的账号", en: "My account"),
        ]),
    ]

    static func allowed(_ path: String, req: Request) -> Bool {
        let route = req.application.routes.all.first {
            $0.method == .GET && "/" + $0.path.map(\.description).joined(separator: "/") == path
        }
        return route?.declaredAccess?.allows(req.signedIn?.roles) ?? false
    }

    /// Renders a whole page.
    static func page(_ req: Request, title: String, active: String? = nil, _ content: String) -> Response {
        let user = req.signedIn
        var nav = ""
        if user != nil {
            for group in navigation {
                let items = group.items.filter { allowed($0.path, req: req) }
                guard !items.isEmpty else { continue }
                nav += "<div class=\"nav-group\"><div class=\"nav-title\">\(esc(req.tr(group.zh, group.en)))</div>"
                for item in items {
                    let on = active == item.path || (active == nil && req.url.path == item.path)
                    nav += "<a href=\"\(item.path)\"\(on ? " class=\"active\" aria-current=\"page\"" : "")>\(esc(req.tr(item.zh, item.en)))</a>"
                }
                nav += "</div>"
            }
        }
        let back = req.url.string.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"
        let other: Lang = req.lang == .zh ? .en : .zh
        let langLink = "<a class=\"lang\" id=\"lang-switch\" href=\"/language/\(other.rawValue)?back=\(back)\" lang=\"\(other.rawValue)\">\(other == .en ? "English" : "中文")</a>"
        let account: String
        if let user {
            let roles = user.roles.sorted().map { req.tr($0.nameZH, $0.nameEN) }.joined(separator: "、")
            account = """
                <span class="who" title="\(esc(roles))">\(esc(user.displayName))</span>\
                <form method="post" action="/logout" class="inline">\(H.csrf(req))<button type="submit" id="logout" class="link">\(req.tr("退出登录", "Sign out"))</button></form>
                """
        } else {
            account = "<a href=\"/login\">\(req.tr("登录", "Sign in"))</a>"
        }
        let html = """
            <!doctype html>
            <html lang="\(req.lang == .zh ? "zh-CN" : "en")">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(title)) · \(req.tr("技能等级认定管理平台", "SkillCert"))</title>
            <link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
            <body>
            <header class="top"><a class="brand" href="/">\(req.tr("技能等级认定管理平台", "SkillCert · skill level certification"))</a>
            <div class="top-right">\(langLink)\(account)</div></header>
            <div class="shell">\(nav.isEmpty ? "" : "<nav class=\"side\" aria-label=\"\(req.tr("导航", "Navigation"))\">\(nav)</nav>")
            <main id="main"><h1>\(esc(title))</h1>
            \(content)
            </main></div>
            <footer>SkillCert · \(req.tr("职业技能等级认定管理平台", "vocational skill level certification"))</footer>
            </body></html>
            """
        return req.html(html)
    }
}

/// The error page, in the visitor's language, naming the problem and never an internal detail.
enum ErrorPage {
    static func render(req: Request, status: HTTPResponseStatus, errors: [FieldError]) -> String {
        let title: String
        switch status.code {
        case 401: title = req.tr("需要登录", "Sign-in required")
        case 403: title = req.tr("无权访问", "Not allowed")
        case 404: title = req.tr("页面不存在", "Page not found")
        case 429: title = req.tr("请求过于频繁", "Too many requests")
        case 500...: title = req.tr("服务器出错了", "Something went wrong")
        default: title = req.tr("请求无法完成", "The request could not be completed")
        }
        let items = errors.map { "<li>\(esc(req.message($0)))</li>" }.joined()
        return """
            <!doctype html><html lang="\(req.lang == .zh ? "zh-CN" : "en")"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(esc(title))</title>
            <link rel="stylesheet" href="/static/app.css"></head>
            <body class="error-page"><main><p class="status">\(status.code)</p><h1>\(esc(title))</h1><ul>\(items)</ul>
            <p><a href="/dashboard">\(req.tr("返回工作台", "Back to the dashboard"))</a> · <a href="/login">\(req.tr("登录", "Sign in"))</a></p>
            <p class="muted">\(req.tr("请求编号", "Request id")) \(esc(req.id))</p></main></body></html>
            """
    }
}
