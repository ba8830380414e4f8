import Foundation
import SkillCertCore
import Vapor

/// Escapes text for HTML element content and attribute values.
func esc(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

/// The language of the pages: Simplified Chinese by default, English on request.
enum Lang: String, Sendable {
    case zh, en
    static let cookie = "sc_lang"
}

extension Request {
    /// The visitor's language: the `sc_lang` cookie, else Chinese.
    var lang: Lang { Lang(rawValue: cookies[Lang.cookie]?.string ?? "") ?? .zh }

    /// Picks the text for the visitor's language.
    func tr(_ zh: String, _ en: String) -> String { lang == .zh ? zh : en }

    /// The message of a field error in the visitor's language.
    func message(_ e: FieldError) -> String { lang == .zh ? e.messageZH : e.messageEN }

    /// An HTML response.
    func html(_ body: String, status: HTTPResponseStatus = .ok) -> Response {
        let response = Response(status: status, body: .init(string: body))
        response.headers.contentType = .html
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

/// Small builders for the pieces every page repeats.
enum H {
    /// The hidden CSRF field every form carries.
    static func csrf(_ req: Request) -> String {
        "<input type=\"hidden\" name=\"\(CSRFProtection.field)\" value=\"\(esc(req.csrfToken))\">"
    }

    /// A form row with label, input and the field's error, if any.
    static func field(_ label: String, name: String, value: String = "", type: String = "text", required: Bool = false,
                      errors: [FieldError] = [], req: Request, attrs: String = "", hint: String? = nil) -> String {
        let own = errors.filter { $0.field == name }
        let err = own.map { "<p class=\"field-error\" role=\"alert\">\(esc(req.message($0)))</p>" }.joined()
        return """
            <div class="field\(own.isEmpty ? "" : " has-error")"><label for="f-\(esc(name))">\(esc(label))\(required ? " <span class=\"req\">*</span>" : "")</label>\
            <input id="f-\(esc(name))" name="\(esc(name))" type="\(type)" value="\(esc(value))"\(required ? " required" : "") \(attrs)>\
            \(hint.map { "<p class=\"hint\">\(esc($0))</p>" } ?? "")\(err)</div>
            """
    }

    /// A select with options (value, label).
    static func select(_ label: String, name: String, options: [(String, String)], selected: String,
                       errors: [FieldError] = [], req: Request) -> String {
        let own = errors.filter { $0.field == name }
        let opts = options.map { "<option value=\"\(esc($0.0))\"\($0.0 == selected ? " selected" : "")>\(esc($0.1))</option>" }.joined()
        let err = own.map { "<p class=\"field-error\" role=\"alert\">\(esc(req.message($0)))</p>" }.joined()
        return "<div class=\"field\(own.isEmpty ? "" : " has-error")\"><label for=\"f-\(esc(name))\">\(esc(label))</label><select id=\"f-\(esc(name))\" name=\"\(esc(name))\">\(opts)</select>\(err)</div>"
    }

    /// A summary of all errors at the top of a form.
    /// The errors of one field, for inputs built by hand (file inputs).
    static func fieldErrors(_ errors: [FieldError], _ name: String, _ req: Request) -> String {
        errors.filter { $0.field == name }.map { "<p class=\"field-error\" role=\"alert\">\(esc(req.message($0)))</p>" }.joined()
    }

    static func errorSummary(_ errors: [FieldError], req: Request) -> String {
        guard !errors.isEmpty else { return "" }
        let items = errors.map { "<li>\(esc(req.message($0)))</li>" }.joined()
        return "<div class=\"alert alert-error\" role=\"alert\"><strong>\(req.tr("请更正以下问题：", "Please correct the following:"))</strong><ul>\(items)</ul></div>"
    }

    /// A flash message carried in the query string after a redirect (`?done=…`).
    static func notice(_ req: Request) -> String {
        guard let done = req.query[String.self, at: "done"], !done.isEmpty else { return "" }
        return "<div class=\"alert alert-ok\" role=\"status\">\(esc(done))</div>"
    }

    /// Previous/next links for a paged list, keeping the other query parameters.
    static func pager(_ req: Request, page: Int, perPage: Int, total: Int) -> String {
        let pages = max(1, (total + perPage - 1) / perPage)
        func link(_ p: Int) -> String {
            var items = (URLComponents(string: req.url.string)?.queryItems ?? []).filter { $0.name != "page" }
            items.append(URLQueryItem(name: "page", value: String(p)))
            var c = URLComponents()
            c.path = req.url.path
            c.queryItems = items
            return c.string ?? req.url.path
        }
        let prev = page > 1 ? "<a href=\"\(esc(link(page - 1)))\">‹ \(req.tr("上一页", "Previous"))</a>" : ""
        let next = page < pages ? "<a href=\"\(esc(link(page + 1)))\">\(req.tr("下一页", "Next")) ›</a>" : ""
        return "<nav class=\"pager\">\(prev)<span>\(req.tr("第 \(page) / \(pages) 页，共 \(total) 条", "Page \(page) of \(pages), \(total) in all"))</span>\(next)</nav>"
    }

    /// The non-empty, trimmed lines of a textarea.
    static func lines(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A date and time in China time, `2026-11-27 18:05`.
    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: date)
    }
}

/// Reads the paging parameters `page` and `perPage`, rejecting nonsense with a named field.
struct Paging {
    var page: Int
    var perPage: Int

    init(_ req: Request, defaultPerPage: Int = 50) throws {
        let p = req.query[String.self, at: "page"]
        let pp = req.query[String.self, at: "perPage"]
        guard let page = p.map({ Int($0) }) ?? 1, page >= 1, page <= 1_000_000 else {
            throw WebError.badField("page", zh: "页码应为正整数", en: "page must be a positive integer")
        }
        guard let perPage = pp.map({ Int($0) }) ?? defaultPerPage, (1...200).contains(perPage) else {
            throw WebError.badField("perPage", zh: "每页条数应在 1–200 之间", en: "perPage must be between 1 and 200")
        }
        self.page = page
        self.perPage = perPage
    }
}
