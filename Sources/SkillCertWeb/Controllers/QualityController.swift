import Fluent
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import Vapor

/// Statistics and quality evaluation (统计分析与质量评估): pass rates with charts, the item analysis of each paper
/// (run in the background), examiner consistency, and each plan's batch report (总结评估) as a page and a PDF.
enum QualityController {
    static let statisticsReaders: Set<Role> = [.administrator, .leadership, .coordination, .supervision, .examAffairs, .certificate]
    static let qualityReaders: Set<Role> = [.administrator, .leadership, .supervision, .itemExaminer]
    static let analysts: Set<Role> = [.administrator, .supervision, .itemExaminer]
    static let reportReaders: Set<Role> = [.administrator, .leadership, .coordination, .supervision]
    static let reportWriters: Set<Role> = [.leadership, .coordination]

    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "statistics", access: .anyOf(statisticsReaders), use: statistics)
        r.endpoint(.GET, "statistics.xlsx", access: .anyOf(statisticsReaders), use: statisticsSheet)
        r.endpoint(.GET, "quality/papers", access: .anyOf(qualityReaders), use: papers)
        r.endpoint(.POST, "quality/papers/:id/analyse", access: .anyOf(analysts), use: analyse)
        r.endpoint(.GET, "quality/papers/:id", access: .anyOf(qualityReaders), use: paper)
        r.endpoint(.GET, "quality/papers/:id/analysis.xlsx", access: .anyOf(qualityReaders), use: paperSheet)
        r.endpoint(.GET, "quality/examiners", access: .anyOf(qualityReaders), use: examiners)
        r.endpoint(.GET, "plans/:id/report", access: .anyOf(reportReaders), use: report)
        r.endpoint(.POST, "plans/:id/report", access: .anyOf(reportWriters), use: saveReport)
        r.endpoint(.GET, "plans/:id/report.pdf", access: .anyOf(reportReaders), use: reportPDF)
    }

    // MARK: Statistics

    struct StatisticsQuery {
        var by: PassRates.Dimension
        var granularity: PassRates.Granularity
        var filter: StatisticsStore.Filter
        var errors: [FieldError]

        init(_ req: Request) {
            func opt(_ k: String) -> String? { req.query[String.self, at: k].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
            by = opt("by").flatMap(PassRates.Dimension.init(rawValue:)) ?? .occupation
            granularity = opt("period").flatMap(PassRates.Granularity.init(rawValue:)) ?? .quarter
            filter = StatisticsStore.Filter()
            errors = []
            filter.planID = opt("plan").flatMap(UUID.init(uuidString:))
            filter.level = opt("level").flatMap { Int($0) }.flatMap { (1...5).contains($0) ? $0 : nil }
            for (name, keyPath) in [("from", \StatisticsStore.Filter.from), ("to", \StatisticsStore.Filter.to)] {
                guard let text = opt(name) else { continue }
                if let day = LocalDate(iso: text) {
                    filter[keyPath: keyPath] = day
                } else {
                    errors.append(FieldError(code: "invalid_date", field: name, zh: "日期格式应为 YYYY-MM-DD", en: "use YYYY-MM-DD"))
                }
            }
        }
    }

    static func rateNote(_ row: PassRates.Row) -> String { "\(Charts.percent(row.passRate))（\(row.passed)/\(row.total)）" }

    @Sendable static func statistics(req: Request) async throws -> Response {
        let q = StatisticsQuery(req)
        let outcomes = try await StatisticsStore.outcomes(q.filter, granularity: q.granularity, on: req.db)
        let rows = PassRates.group(outcomes, by: q.by)
        let trend = PassRates.group(outcomes, by: .period)
        let total = PassRates.total(outcomes)
        let plans = try await StoredPlan.query(on: req.db).filter(\.$status != PlanStatus.draft.rawValue).sort(\.$number, .descending).all()
        func sel(_ v: String, _ current: String) -> String { v == current ? " selected" : "" }
        let dimensionOptions = PassRates.Dimension.allCases.filter { $0 != .period }
            .map { "<option value=\"\($0.rawValue)\"\(sel($0.rawValue, q.by.rawValue))>\(req.tr($0.nameZH, $0.nameEN))</option>" }.joined()
        let periodOptions = PassRates.Granularity.allCases
            .map { "<option value=\"\($0.rawValue)\"\(sel($0.rawValue, q.granularity.rawValue))>\($0.nameZH)</option>" }.joined()
        let planOptions = "<option value=\"\">\(req.tr("全部", "All"))</option>" + plans
            .map { "<option value=\"\($0.id!.uuidString)\"\(sel($0.id!.uuidString, q.filter.planID?.uuidString ?? ""))>\(esc($0.number)) \(esc($0.title))</option>" }.joined()
        let levelOptions = "<option value=\"\">\(req.tr("全部", "All"))</option>" + (1...5)
            .map { "<option value=\"\($0)\"\(sel(String($0), q.filter.level.map(String.init) ?? ""))>\(Level($0).fullName)</option>" }.joined()
        let table = rows.map { r in
            "<tr><td>\(esc(r.key))</td><td class=\"num\">\(r.total)</td><td class=\"num\">\(r.passed)</td><td class=\"num\">\(r.failed)</td><td class=\"num\">\(r.incomplete)</td><td class=\"num\">\(Charts.percent(r.passRate))</td><td class=\"num\">\(Charts.percent(r.passRateOfPresent))</td></tr>"
        }.joined()
        let trendTable = trend.map { r in
            "<tr><td>\(esc(r.key))</td><td class=\"num\">\(r.total)</td><td class=\"num\">\(r.passed)</td><td class=\"num\">\(Charts.percent(r.passRate))</td></tr>"
        }.joined()
        let query = req.url.query.map { "?" + $0 } ?? ""
        let head = "<tr><th>\(req.tr(q.by.nameZH, q.by.nameEN))</th><th>\(req.tr("人数", "Results"))</th><th>\(req.tr("合格", "Passed"))</th><th>\(req.tr("不合格", "Failed"))</th><th>\(req.tr("缺考", "Absent"))</th><th>\(req.tr("合格率", "Pass rate"))</th><th>\(req.tr("实考合格率", "Of those present"))</th></tr>"
        let content = """
            \(H.errorSummary(q.errors, req: req))
            <form method="get" action="/statistics" class="filters">
            <div class="field"><label for="f-by">\(req.tr("分组", "Group by"))</label><select id="f-by" name="by">\(dimensionOptions)</select></div>
            <div class="field"><label for="f-period">\(req.tr("期间", "Period"))</label><select id="f-period" name="period">\(periodOptions)</select></div>
            <div class="field"><label for="f-plan">\(req.tr("认定计划", "Plan"))</label><select id="f-plan" name="plan">\(planOptions)</select></div>
            <div class="field"><label for="f-level">\(req.tr("等级", "Level"))</label><select id="f-level" name="level">\(levelOptions)</select></div>
            \(H.field(req.tr("发布日期自", "Released from"), name: "from", value: q.filter.from?.description ?? "", type: "date", errors: q.errors, req: req))
            \(H.field(req.tr("至", "to"), name: "to", value: q.filter.to?.description ?? "", type: "date", errors: q.errors, req: req))
            <button type="submit">\(req.tr("统计", "Show"))</button></form>
            <p class="muted">\(req.tr("统计已发布的认定成绩：合格率 = 合格人数 ÷ 有成绩人数（含缺考）；实考合格率不计缺考。", "Released results only: the pass rate counts absentees; the second rate does not."))</p>
            <div class="cards"><div class="card"><strong id="total">\(total.total)</strong> \(req.tr("人有成绩", "results"))</div>
            <div class="card"><strong>\(total.passed)</strong> \(req.tr("人合格", "passed"))</div>
            <div class="card"><strong id="pass-rate">\(Charts.percent(total.passRate))</strong> \(req.tr("合格率", "pass rate"))</div></div>
            \(Charts.bars(rows.prefix(30).map { Charts.Bar(label: $0.key, value: $0.passRate ?? 0, note: rateNote($0)) },
                          title: req.tr("按\(q.by.nameZH)的合格率", "Pass rate by \(q.by.nameEN.lowercased())"), id: "chart-by"))
            \(Charts.line(trend.map { Charts.Point(label: $0.key, value: $0.passRate ?? 0, note: rateNote($0)) },
                          title: req.tr("合格率趋势（\(q.granularity.nameZH)）", "Pass rate over time"), id: "chart-trend"))
            <h2>\(req.tr("按\(q.by.nameZH)", "By \(q.by.nameEN.lowercased())")) <a class="button secondary" href="/statistics.xlsx\(esc(query))" id="export">\(req.tr("导出 XLSX", "Export XLSX"))</a></h2>
            <table id="by-table"><thead>\(head)</thead><tbody>\(table.isEmpty ? "<tr><td colspan=\"7\" class=\"muted\">\(req.tr("没有已发布的成绩", "No released results"))</td></tr>" : table)</tbody>
            <tfoot><tr><th>\(req.tr("合计", "Total"))</th><th class="num">\(total.total)</th><th class="num">\(total.passed)</th><th class="num">\(total.failed)</th><th class="num">\(total.incomplete)</th><th class="num">\(Charts.percent(total.passRate))</th><th class="num">\(Charts.percent(total.passRateOfPresent))</th></tr></tfoot></table>
            <h2>\(req.tr("趋势", "Trend"))</h2>
            <table id="trend-table"><thead><tr><th>\(req.tr("期间", "Period"))</th><th>\(req.tr("人数", "Results"))</th><th>\(req.tr("合格", "Passed"))</th><th>\(req.tr("合格率", "Pass rate"))</th></tr></thead><tbody>\(trendTable)</tbody></table>
            """
        let response = Layout.page(req, title: req.tr("统计分析", "Statistics"), active: "/statistics", content)
        if !q.errors.isEmpty { response.status = .unprocessableEntity }
        return response
    }

    @Sendable static func statisticsSheet(req: Request) async throws -> Response {
        let q = StatisticsQuery(req)
        guard q.errors.isEmpty else { throw ValidationFailure(q.errors) }
        let outcomes = try await StatisticsStore.outcomes(q.filter, granularity: q.granularity, on: req.db)
        func sheet(_ name: String, _ dimension: PassRates.Dimension) -> Worksheet {
            let rows = PassRates.group(outcomes, by: dimension)
            return Worksheet(name: name, header: [dimension.nameZH, "人数", "合格", "不合格", "缺考", "合格率", "实考合格率"], rows: rows.map { r in
                [.text(r.key), .number(Double(r.total)), .number(Double(r.passed)), .number(Double(r.failed)), .number(Double(r.incomplete)),
                 r.passRate.map { .number(($0 * 10000).rounded() / 10000) } ?? .empty,
                 r.passRateOfPresent.map { .number(($0 * 10000).rounded() / 10000) } ?? .empty]
            })
        }
        return try xlsxResponse(sheet("按" + q.by.nameZH, q.by), sheet("趋势", .period), filename: "statistics-\(q.by.rawValue).xlsx")
    }

    // MARK: Item analysis

    static let analysing = JobBoard<UUID>()

    static func paperID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "paper") }
        return id
    }

    @Sendable static func papers(req: Request) async throws -> Response {
        let uses = try await PaperAnalysisStore.papers(on: req.db)
        let canRun = !(try req.requireUser()).roles.isDisjoint(with: analysts)
        var refresh = false
        var rows = ""
        for use in uses {
            let id = use.paper.id!.uuidString
            var state = ""
            if let s = await analysing.state(use.paper.id!) {
                if s.running { state = "<span class=\"badge\">\(req.tr("分析中…", "Running…"))</span>"; refresh = true }
                if let error = s.error { state = "<span class=\"badge bad\">\(esc(error))</span>" }
            }
            let latest = use.latest.map { a in
                "<a href=\"/quality/papers/\(id)\">\(H.time(a.computedAt))</a> · α \(a.alpha.map { String(format: "%.2f", $0) } ?? "—") · \(req.tr("预警 \(a.flagged) 题", "\(a.flagged) flagged"))"
            } ?? "<span class=\"muted\">\(req.tr("尚未分析", "Not analysed"))</span>"
            let action = canRun ? """
                <form method="post" action="/quality/papers/\(id)/analyse">\(H.csrf(req))<button type="submit" class="secondary" id="analyse-\(id)">\(req.tr(use.latest == nil ? "开始分析" : "重新分析", use.latest == nil ? "Analyse" : "Analyse again"))</button></form>
                """ : ""
            rows += "<tr><td>\(esc(use.paper.label))</td><td>\(esc(use.session.heldOn)) \(Level(use.session.level).fullName)</td><td class=\"num\">\(use.submitted)</td><td>\(latest) \(state)</td><td>\(action)</td></tr>"
        }
        let content = """
            \(refresh ? "<meta http-equiv=\"refresh\" content=\"2\">" : "")\(H.notice(req))
            <p class="muted">\(req.tr("考生交卷且填空题评阅完毕后，对试卷进行质量分析：难度、区分度（点二列相关与高低分组 27%）、选择题干扰项、KR-20 / α 信度；分析在后台进行，实测难度写回题库。",
                                       "After submission and marking: difficulty, discrimination, distractors and reliability, computed in the background; observed difficulty is written back to the bank."))</p>
            <table><thead><tr><th>\(req.tr("试卷", "Paper"))</th><th>\(req.tr("场次", "Session"))</th><th>\(req.tr("交卷人数", "Submitted"))</th><th>\(req.tr("最近分析", "Latest analysis"))</th><th></th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("还没有机考场次使用过试卷", "No computer-based session has used a paper yet"))</td></tr>" : rows)</tbody></table>
            """
        return Layout.page(req, title: req.tr("试卷质量分析", "Paper analysis"), active: "/quality/papers", content)
    }

    @Sendable static func analyse(req: Request) async throws -> Response {
        let id = try paperID(req)
        guard try await StoredPaper.find(id, on: req.db) != nil else { throw DomainError.notFound(what: "paper") }
        let actor = try req.requireUser().actor
        let sealer = try req.sealer()
        let db = req.db, time = req.time, logger = req.logger
        guard await analysing.start(id) else { return req.redirect(to: "/quality/papers") }
        Task {
            do {
                try await PaperAnalysisStore.analyse(paperID: id, actor: actor, sealer: sealer, on: db, time: time)
                await analysing.update(id) { $0.running = false; $0.done = 1 }
            } catch {
                logger.error("analysing paper \(id) failed: \(String(reflecting: error))")
                let message: String
                switch error {
                case DomainError.conflict(_, let zh, _), DomainError.forbidden(_, let zh, _): message = zh
                default: message = "分析失败，请重试"
                }
                await analysing.update(id) { $0.running = false; $0.error = message }
            }
        }
        return req.redirect(to: "/quality/papers?done=" + req.tr("已开始分析，完成后本页自动刷新", "Analysis started").urlQueryEncoded)
    }

    static func analysis(_ req: Request) async throws -> (StoredPaper, PaperAnalysisRecord, PaperAnalysisStore.Report) {
        let id = try paperID(req)
        guard let paper = try await StoredPaper.find(id, on: req.db) else { throw DomainError.notFound(what: "paper") }
        guard let latest = try await PaperAnalysisStore.latest(paperID: id, on: req.db) else { throw DomainError.notFound(what: "analysis") }
        return (paper, latest, try latest.decoded())
    }

    static func f2(_ v: Double) -> String { String(format: "%.2f", v) }

    @Sendable static func paper(req: Request) async throws -> Response {
        let (paper, record, report) = try await analysis(req)
        let s = report.statistics
        var rows = ""
        for (place, item) in zip(report.items, s.items) {
            let flags = item.flags.map { "<span class=\"badge bad\">\(esc($0.nameZH))</span>" }.joined(separator: " ")
            let options = item.options.map { o in
                "<span class=\"\(o.keyed ? "keyed" : "")\" title=\"\(req.tr("全体/高分组/低分组", "all/upper/lower"))\">\(esc(o.option))\(o.keyed ? "*" : "") \(o.all)/\(o.upper)/\(o.lower)</span>"
            }.joined(separator: "　")
            rows += "<tr\(item.flags.isEmpty ? "" : " class=\"flagged\"")><td class=\"num\">\(place.position)</td><td><a href=\"/items/\(place.itemID.uuidString)\">\(esc(place.element))</a></td><td>\(req.tr(place.type.nameZH, place.type.nameEN))</td><td class=\"num\">\(place.points)</td><td class=\"num\">\(f2(item.difficulty))</td><td class=\"num\">\(f2(item.pointBiserial))</td><td class=\"num\">\(f2(item.correctedPointBiserial))</td><td class=\"num\">\(f2(item.discrimination))</td><td class=\"small\">\(options)</td><td>\(flags)</td></tr>"
        }
        let content = """
            <p>\(req.tr("分析时间", "Analysed")) \(H.time(record.computedAt)) · \(req.tr("考生", "candidates")) <strong id="candidates">\(s.candidates)</strong>\(report.excluded > 0 ? req.tr("（另有 \(report.excluded) 份因违纪终止或待评阅未计入）", " (\(report.excluded) left out)") : "") · \(req.tr("平均分", "mean")) \(f2(s.meanTotal)) · \(req.tr("标准差", "SD")) \(f2(s.sdTotal))
             · KR-20 <strong id="kr20">\(s.kr20.map(f2) ?? "—")</strong> · α <strong id="alpha">\(s.alpha.map(f2) ?? "—")</strong> · \(req.tr("高低分组各 \(s.groupSize) 人", "groups of \(s.groupSize)"))</p>
            <p><a class="button secondary" href="/quality/papers/\(paper.id!.uuidString)/analysis.xlsx" id="export">\(req.tr("导出 XLSX", "Export XLSX"))</a></p>
            \(Charts.bars(zip(report.items, s.items).map { Charts.Bar(label: "\($0.position). \($0.element)", value: $1.difficulty, note: "p \(f2($1.difficulty))") },
                          title: req.tr("各题难度（得分率）", "Difficulty per item"), id: "chart-difficulty"))
            <table id="items"><thead><tr><th>\(req.tr("题号", "No."))</th><th>\(req.tr("鉴定点", "Element"))</th><th>\(req.tr("题型", "Type"))</th><th>\(req.tr("分值", "Points"))</th><th>\(req.tr("难度 p", "p"))</th><th>\(req.tr("点二列相关", "r(pb)"))</th><th>\(req.tr("校正相关", "corrected"))</th><th>\(req.tr("区分度 D", "D"))</th><th>\(req.tr("选项（全体/高/低，* 为答案）", "Options (all/upper/lower, * keyed)"))</th><th>\(req.tr("预警", "Flags"))</th></tr></thead><tbody>\(rows)</tbody></table>
            """
        return Layout.page(req, title: req.tr("试卷质量分析：\(paper.label)", "Paper analysis: \(paper.label)"), active: "/quality/papers", content)
    }

    @Sendable static func paperSheet(req: Request) async throws -> Response {
        let (paper, _, report) = try await analysis(req)
        let rows: [[CellValue]] = zip(report.items, report.statistics.items).map { place, item in
            [.number(Double(place.position)), .text(place.element), .text(place.type.nameZH), .number(Double(place.points)),
             .number(item.difficulty), .number(item.pointBiserial), .number(item.correctedPointBiserial), .number(item.discrimination),
             .text(item.options.map { "\($0.option)\($0.keyed ? "*" : "") \($0.all)/\($0.upper)/\($0.lower)" }.joined(separator: "; ")),
             .text(item.flags.map(\.nameZH).joined(separator: "、")), .text(place.itemID.uuidString)]
        }
        return try xlsxResponse(Worksheet(name: "试题分析", header: ["题号", "鉴定点", "题型", "分值", "难度p", "点二列相关", "校正相关", "区分度D", "选项（全体/高/低）", "预警", "试题ID"], rows: rows),
                                filename: "analysis-\(paper.label).xlsx")
    }

    // MARK: Examiner consistency

    @Sendable static func examiners(req: Request) async throws -> Response {
        let plans = try await StoredPlan.query(on: req.db).filter(\.$status != PlanStatus.draft.rawValue).sort(\.$number, .descending).all()
        let selected = req.query[String.self, at: "plan"].flatMap(UUID.init(uuidString:)) ?? plans.first?.id
        let options = plans.map { "<option value=\"\($0.id!.uuidString)\"\($0.id == selected ? " selected" : "")>\(esc($0.number)) \(esc($0.title))</option>" }.joined()
        var body = ""
        if let selected {
            let r = try await ExaminerConsistencyStore.report(planID: selected, on: req.db)
            let examinerRows = r.figures.examiners.map { e in
                "<tr\(e.outlier ? " class=\"flagged\"" : "")><td>\(esc(r.examinerNames[e.examiner] ?? e.examiner))</td><td class=\"num\">\(e.sheets)</td><td class=\"num\">\(String(format: "%+.2f", e.severity))</td><td class=\"num\">\(f2(e.spread))</td><td>\(e.outlier ? "<span class=\"badge bad\">\(req.tr(e.severity < 0 ? "偏严" : "偏宽", e.severity < 0 ? "Severe" : "Lenient"))</span>" : "")</td></tr>"
            }.joined()
            let taskRows = r.figures.tasks.map { t in
                "<tr><td>\(esc(r.taskNames[t.task] ?? t.task))</td><td class=\"num\">\(t.candidates)</td><td class=\"num\">\(t.icc.map(f2) ?? "—")</td></tr>"
            }.joined()
            let maxSeverity = max(r.threshold * 2, r.figures.examiners.map { abs($0.severity) }.max() ?? 0)
            body = """
                <p>\(req.tr("评分表 \(r.sheets) 份；宽严偏差 = 考评员评分 − 同组考评员平均分的均值（负数偏严，正数偏宽），超过 ±\(Int(r.threshold)) 分预警（规则参数可调）。",
                             "\(r.sheets) sheets; severity is the mean deviation from the panel; beyond ±\(Int(r.threshold)) points is flagged."))</p>
                \(r.outliers.isEmpty ? "" : "<div class=\"alert alert-error\" id=\"outliers\">\(req.tr("评分宽严异常，请命题与考评部门关注：", "Examiners to look at: "))\(r.outliers.map { esc(r.examinerNames[$0.examiner] ?? $0.examiner) }.joined(separator: "、"))</div>")
                \(Charts.bars(r.figures.examiners.map { Charts.Bar(label: r.examinerNames[$0.examiner] ?? $0.examiner, value: abs($0.severity), note: String(format: "%+.2f", $0.severity)) },
                              title: req.tr("宽严偏差（绝对值）", "Severity (absolute)"), id: "chart-severity", maximum: maxSeverity))
                <table id="examiners"><thead><tr><th>\(req.tr("考评员", "Examiner"))</th><th>\(req.tr("评分表", "Sheets"))</th><th>\(req.tr("宽严偏差", "Severity"))</th><th>\(req.tr("离散度", "Spread"))</th><th></th></tr></thead>
                <tbody>\(examinerRows.isEmpty ? "<tr><td colspan=\"5\" class=\"muted\">\(req.tr("本计划还没有多人评分的评分表", "No panel sheets yet"))</td></tr>" : examinerRows)</tbody></table>
                <h2>\(req.tr("各任务评分一致性（ICC）", "Agreement per task (ICC)"))</h2>
                <table id="tasks"><thead><tr><th>\(req.tr("任务", "Task"))</th><th>\(req.tr("考生数", "Candidates"))</th><th>ICC(1,1)</th></tr></thead><tbody>\(taskRows)</tbody></table>
                """
        }
        let content = """
            <form method="get" action="/quality/examiners" class="filters"><div class="field"><label for="f-plan">\(req.tr("认定计划", "Plan"))</label><select id="f-plan" name="plan">\(options)</select></div>
            <button type="submit">\(req.tr("查看", "Show"))</button></form>
            \(body)
            """
        return Layout.page(req, title: req.tr("考评员评分一致性", "Examiner consistency"), active: "/quality/examiners", content)
    }

    // MARK: Batch report

    static func planID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(what: "plan") }
        return id
    }

    /// The report's sections, shared by the page and the PDF.
    static func document(_ f: BatchReportStore.Figures, body: String, generated: Date) -> ReportDocument {
        let p = f.details
        typealias T = ReportDocument.Table
        var sections: [ReportDocument.Section] = []
        sections.append(.init(title: "基本情况", blocks: [
            .paragraph("认定计划：\(f.plan.number) \(p.title)；职业（工种）：\(p.occupationName)\(p.workType.map { "（\($0)）" } ?? "")；等级：\(p.levels.map { Level($0).fullName }.joined(separator: "、"))。"),
            .paragraph("报名时间：\(p.registrationOpens) 至 \(p.registrationCloses)；考核日期：\(p.examDates.map { "\($0.part.nameZH) \($0.date)" }.joined(separator: "，"))；考核地点：\(p.venues.joined(separator: "、"))。"),
        ]))
        sections.append(.init(title: "报名与资格审核", blocks: [
            .paragraph("共受理报名 \(f.applicationTotal) 人次：" + (f.applications.isEmpty ? "无" : f.applications.map { "\($0.status) \($0.count) 人" }.joined(separator: "，")) + "。"),
        ]))
        sections.append(.init(title: "考务组织", blocks: [
            .paragraph("共安排考核场次 \(f.sessions.count) 个，编排座位 \(f.sessions.reduce(0) { $0 + $1.seated }) 个；考场违纪与异常情况 \(f.incidents.count) 起，督导检查记录 \(f.inspections.count) 条。"),
            .table(T(header: ["方式", "时间", "考点", "人数"], widths: [0.2, 0.4, 0.25, 0.15], rows: f.sessions.map { [$0.mode, $0.date, $0.site, String($0.seated)] })),
            .table(T(header: ["时间", "场次", "违纪与异常情况", "处理"], widths: [0.2, 0.2, 0.4, 0.2], rows: f.incidents.map { [$0.date, $0.session, $0.text, $0.decision ?? ""] })),
        ]))
        let r = f.results
        sections.append(.init(title: "认定结果", blocks: [
            .paragraph("有成绩 \(r.total) 人，合格 \(r.passed) 人，不合格 \(r.failed) 人，缺考 \(r.incomplete) 人，合格率 \(Charts.percent(r.passRate))（实考合格率 \(Charts.percent(r.passRateOfPresent))）；已颁发证书 \(f.certificatesIssued) 本。"),
            .paragraph(f.partMeans.isEmpty ? "暂无分项成绩。" : "各部分平均分：" + f.partMeans.map { "\($0.part) \(String(format: "%.1f", $0.mean))（\($0.count) 人）" }.joined(separator: "，") + "。"),
            .table(T(header: ["等级", "人数", "合格", "不合格", "缺考", "合格率"], widths: [0.25, 0.15, 0.15, 0.15, 0.15, 0.15],
                     rows: f.resultsByLevel.map { [$0.key, String($0.total), String($0.passed), String($0.failed), String($0.incomplete), Charts.percent($0.passRate)] })),
        ]))
        var quality: [ReportDocument.Block] = [
            .paragraph(f.papers.isEmpty ? "理论试卷尚未进行质量分析。" : "理论试卷质量分析 \(f.papers.count) 份。"),
            .table(T(header: ["试卷", "考生数", "信度 α", "题数", "预警题数"], widths: [0.3, 0.15, 0.2, 0.15, 0.2],
                     rows: f.papers.map { [$0.label, String($0.candidates), $0.alpha.map { String(format: "%.2f", $0) } ?? "—", String($0.items), String($0.flagged)] })),
        ]
        quality.append(.paragraph(f.examinerOutliers.isEmpty ? "考评员评分未见宽严异常。"
                                  : "评分宽严异常的考评员：" + f.examinerOutliers.map { "\($0.name)（\(String(format: "%+.1f", $0.severity)) 分）" }.joined(separator: "、") + "。"))
        sections.append(.init(title: "质量指标", blocks: quality))
        sections.append(.init(title: "复核、异议与投诉", blocks: [
            .paragraph("成绩复核申请 \(f.reviewsRequested) 件，其中改分 \(f.reviewsChanged) 件，未办结 \(f.reviewsOpen) 件；公示期异议 \(f.objections) 件，已答复 \(f.objectionsAnswered) 件。"),
            .paragraph(f.complaints.isEmpty ? "未收到与本计划有关的申诉与投诉。"
                       : "申诉与投诉：" + f.complaints.map { "\($0.category) \($0.count) 件" }.joined(separator: "，") + "；超期未办结 \(f.complaintsOverdue) 件。"),
        ]))
        sections.append(.init(title: "督导检查", blocks: f.inspections.isEmpty ? [.paragraph("无督导检查记录。")] : [
            .table(T(header: ["时间", "场次", "检查发现", "处理"], widths: [0.2, 0.2, 0.4, 0.2], rows: f.inspections.map { [$0.date, $0.session, $0.text, $0.decision ?? ""] })),
        ]))
        sections.append(.init(title: "结论", blocks: f.conclusions.isEmpty ? [.blank(lines: 4)] : H.lines(f.conclusions).map { .paragraph($0) }))
        sections.append(.init(title: "改进措施", blocks: f.improvements.isEmpty ? [.blank(lines: 4)] : H.lines(f.improvements).map { .paragraph($0) }))
        return ReportDocument(title: "\(p.title) 认定工作总结评估报告", subtitle: "\(body)　生成于 \(AuditRecord.timestamp(generated))",
                              sections: sections, footer: "\(f.plan.number) 总结评估")
    }

    static func html(_ doc: ReportDocument) -> String {
        doc.sections.enumerated().map { i, section in
            "<h2>\(chineseOrdinal(i + 1))、\(esc(section.title))</h2>" + section.blocks.map { block in
                switch block {
                case .paragraph(let text): return "<p>\(esc(text))</p>"
                case .blank: return "<p class=\"muted\">（待填写）</p>"
                case .table(let t):
                    guard !t.rows.isEmpty else { return "" }
                    return "<table><thead><tr>\(t.header.map { "<th>\(esc($0))</th>" }.joined())</tr></thead><tbody>"
                        + t.rows.map { "<tr>\($0.map { "<td>\(esc($0))</td>" }.joined())</tr>" }.joined() + "</tbody></table>"
                }
            }.joined()
        }.joined()
    }

    static func bodyName(_ req: Request) async throws -> String { try await BodyStore.load(on: req.db)?.name ?? "" }

    @Sendable static func report(req: Request) async throws -> Response {
        try await renderReport(req, errors: [])
    }

    static func renderReport(_ req: Request, errors: [FieldError], form: (String, String)? = nil) async throws -> Response {
        let id = try planID(req)
        let figures = try await BatchReportStore.figures(planID: id, on: req.db, time: req.time)
        let doc = document(figures, body: try await bodyName(req), generated: req.time.now())
        let canWrite = !(try req.requireUser()).roles.isDisjoint(with: reportWriters)
        let (conclusions, improvements) = form ?? (figures.conclusions, figures.improvements)
        let editor = canWrite ? """
            <h2>\(req.tr("填写结论与改进措施", "Conclusions and improvements"))</h2>
            <form method="post" action="/plans/\(id.uuidString)/report">\(H.csrf(req))
            <div class="field"><label for="f-conclusions">\(req.tr("结论", "Conclusions"))</label><textarea id="f-conclusions" name="conclusions" rows="5">\(esc(conclusions))</textarea>\(H.fieldErrors(errors, "conclusions", req))</div>
            <div class="field"><label for="f-improvements">\(req.tr("改进措施", "Improvements"))</label><textarea id="f-improvements" name="improvements" rows="5">\(esc(improvements))</textarea>\(H.fieldErrors(errors, "improvements", req))</div>
            <div class="actions"><button type="submit" id="save-report">\(req.tr("保存", "Save"))</button></div></form>
            """ : ""
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p><a class="button" href="/plans/\(id.uuidString)/report.pdf" id="report-pdf">\(req.tr("下载 PDF", "Download PDF"))</a> <a class="button secondary" href="/plans/\(id.uuidString)">\(req.tr("返回计划", "Back to the plan"))</a>
            \(figures.conclusionsUpdatedAt.map { "<span class=\"muted\">\(req.tr("结论更新于", "Conclusions updated")) \(H.time($0))</span>" } ?? "")</p>
            <div class="report">\(html(doc))</div>
            \(editor)
            """
        let response = Layout.page(req, title: doc.title, active: "/plans", content)
        if !errors.isEmpty { response.status = .unprocessableEntity }
        return response
    }

    struct ReportForm: Content {
        var conclusions: String?
        var improvements: String?
    }

    @Sendable static func saveReport(req: Request) async throws -> Response {
        let id = try planID(req)
        let f = try req.content.decode(ReportForm.self)
        do {
            try await BatchReportStore.saveConclusions(planID: id, conclusions: f.conclusions ?? "", improvements: f.improvements ?? "",
                                                       actor: try req.requireUser().actor, on: req.db, time: req.time)
        } catch let failure as ValidationFailure {
            return try await renderReport(req, errors: failure.errors, form: (f.conclusions ?? "", f.improvements ?? ""))
        }
        return req.redirect(to: "/plans/\(id.uuidString)/report?done=" + req.tr("已保存", "Saved").urlQueryEncoded)
    }

    @Sendable static func reportPDF(req: Request) async throws -> Response {
        let id = try planID(req)
        let figures = try await BatchReportStore.figures(planID: id, on: req.db, time: req.time)
        let data = try document(figures, body: try await bodyName(req), generated: req.time.now()).pdf()
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "pdf")
        response.headers.contentDisposition = .init(.attachment, filename: "report-\(figures.plan.number).pdf")
        return response
    }
}
