import Foundation
import SkillCertCore
import SkillCertPersistence
import Vapor

/// The body's working-day calendar: holidays and make-up workdays per year, and a working-day calculator.
enum CalendarController {
    static func register(_ r: any RoutesBuilder) {
        r.endpoint(.GET, "settings/calendar", access: .anyOf(Roles.staff), use: page)
        r.endpoint(.POST, "settings/calendar/days", access: .anyOf(Roles.calendarEditors), use: setDay)
        r.endpoint(.POST, "settings/calendar/days/:date/delete", access: .anyOf(Roles.calendarEditors), use: removeDay)
        r.endpoint(.POST, "settings/calendar/import", access: .anyOf(Roles.admin), use: importYAML)
        r.endpoint(.GET, "api/v1/calendar/working-days", access: .signedIn,
                   api: APIDoc("Count working days between two dates, or add working days to a date", tag: "calendar",
                               response: "WorkingDays",
                               query: [.init("from", "string", format: "date", required: true, "start date YYYY-MM-DD"),
                                       .init("to", "string", format: "date", "end date (inclusive) to count to"),
                                       .init("add", "integer", "working days to add after `from`", minimum: 0, maximum: 3650)],
                               errors: [400]),
                   use: apiWorkingDays)
        r.endpoint(.GET, "api/v1/calendar/:year", access: .signedIn,
                   api: APIDoc("The holidays and make-up workdays of a year", tag: "calendar", response: "CalendarYear",
                               errors: [400]),
                   use: apiYear)
    }

    static func year(_ req: Request, _ text: String?) throws -> Int {
        guard let text else { return req.time.now().chinaLocalDate.year }
        guard let y = Int(text), (2000...2100).contains(y) else {
            throw WebError.badField("year", zh: "年份应在 2000–2100 之间", en: "year must be between 2000 and 2100")
        }
        return y
    }

    static func date(_ text: String?, field: String) throws -> LocalDate {
        guard let text, let d = LocalDate(iso: text) else {
            throw WebError.badField(field, code: "invalid_date", zh: "\(field) 不是 YYYY-MM-DD 格式的有效日期",
                                    en: "\(field) must be a valid date in the form YYYY-MM-DD")
        }
        return d
    }

    struct DayForm: Content {
        var date: String?
        var kind: String?
        var name: String?
        var reason: String?
        var yaml: String?
    }

    /// A year at a glance, its exceptions, forms to change them, and the calculator.
    @Sendable static func page(req: Request) async throws -> Response {
        try await render(req, year: try year(req, req.query[String.self, at: "year"]), errors: [])
    }

    static func render(_ req: Request, year: Int, errors: [FieldError], status: HTTPResponseStatus = .ok) async throws -> Response {
        let calendar = try await CalendarStore.calendar(on: req.db)
        let exceptions = try await CalendarStore.exceptions(year: year, on: req.db)
        let years = Set(try await CalendarStore.years(on: req.db) + [year, year + 1]).sorted()
        let canEdit = !(req.signedIn?.roles ?? []).isDisjoint(with: Roles.calendarEditors)
        let canImport = req.signedIn?.roles.contains(.administrator) == true
        let yearLinks = years.map { $0 == year ? "<strong>\($0)</strong>" : "<a href=\"/settings/calendar?year=\($0)\">\($0)</a>" }
            .joined(separator: " · ")
        var months = ""
        for m in 1...12 {
            guard let first = LocalDate(year: year, month: m, day: 1) else { continue }
            let heads = req.lang == .zh ? ["一", "二", "三", "四", "五", "六", "日"] : ["M", "T", "W", "T", "F", "S", "S"]
            var cells = heads.map { "<div class=\"wk\">\($0)</div>" }.joined()
            cells += String(repeating: "<div></div>", count: first.weekday - 1)
            for d in 1...LocalDate.daysIn(month: m, year: year) {
                let date = first.adding(days: d - 1)
                let e = calendar.exception(on: date)
                let cls = e?.kind == .holiday ? "off" : e?.kind == .workday ? "work" : date.isWeekend ? "wk" : ""
                cells += "<div class=\"\(cls)\" title=\"\(esc(e?.name ?? ""))\">\(d)</div>"
            }
            months += "<div><strong>\(req.lang == .zh ? "\(m) 月" : "Month \(m)")</strong><div class=\"cal\">\(cells)</div></div>"
        }
        let rows = exceptions.map { e -> String in
            let del = canEdit ? """
                <form method="post" action="/settings/calendar/days/\(e.date)/delete" class="inline" data-confirm="\(req.tr("确定删除 \(e.date) 的安排？", "Remove the entry for \(e.date)?"))">\(H.csrf(req))<input type="hidden" name="reason" value="\(req.tr("管理员删除", "removed by staff"))"><button type="submit" class="secondary">\(req.tr("删除", "Remove"))</button></form>
                """ : ""
            return "<tr><td>\(e.date)</td><td>\(e.kind == .holiday ? req.tr("放假", "Holiday") : req.tr("调休上班", "Make-up workday"))</td><td>\(esc(e.name))</td><td>\(del)</td></tr>"
        }.joined()
        let editForm = canEdit ? """
            <h2>\(req.tr("添加或修改一天", "Add or change a day"))</h2>
            <form method="post" action="/settings/calendar/days" class="filters">\(H.csrf(req))
            \(H.field(req.tr("日期", "Date"), name: "date", type: "date", required: true, errors: errors, req: req))
            \(H.select(req.tr("类型", "Kind"), name: "kind", options: [("holiday", req.tr("放假", "Holiday")), ("workday", req.tr("调休上班", "Make-up workday"))], selected: "holiday", errors: errors, req: req))
            \(H.field(req.tr("名称", "Name"), name: "name", required: true, errors: errors, req: req))
            <button type="submit">\(req.tr("保存", "Save"))</button></form>
            """ : ""
        let importForm = canImport ? """
            <h2>\(req.tr("导入国务院节假日安排（YAML）", "Import a State Council arrangement (YAML)"))</h2>
            <p class="hint">\(req.tr("格式与随附的 holidays-cn.yaml 相同；导入会替换文件中各年份的全部安排。", "Same form as the shipped holidays-cn.yaml; replaces every year the file names."))</p>
            <form method="post" action="/settings/calendar/import" data-confirm="\(req.tr("导入将替换文件中各年份的现有安排，确定继续？", "This replaces those years' entries. Continue?"))">\(H.csrf(req))
            <textarea name="yaml" rows="8" cols="80" placeholder="2027:&#10;  holidays:&#10;    - {name: 元旦, from: 2027-01-01, to: 2027-01-01}&#10;  workdays: []"></textarea>
            <div class="actions"><button type="submit">\(req.tr("导入", "Import"))</button></div></form>
            """ : ""
        let content = """
            \(H.notice(req))\(H.errorSummary(errors, req: req))
            <p>\(yearLinks)</p>
            <p class="muted">\(req.tr("红色为放假日，绿色为调休上班日；公示期、复核期限等均按本日历计算工作日。", "Red: holidays; green: make-up workdays. Publicity and review windows count working days on this calendar."))</p>
            <div class="months">\(months)</div>
            <h2>\(req.tr("\(year) 年安排", "Entries for \(year)"))</h2>
            <table><thead><tr><th>\(req.tr("日期", "Date"))</th><th>\(req.tr("类型", "Kind"))</th><th>\(req.tr("名称", "Name"))</th><th></th></tr></thead>
            <tbody>\(rows.isEmpty ? "<tr><td colspan=\"4\" class=\"muted\">\(req.tr("本年度尚未录入安排（国务院通知发布后录入）", "Nothing entered for this year yet"))</td></tr>" : rows)</tbody></table>
            \(editForm)\(importForm)
            """
        let response = Layout.page(req, title: req.tr("工作日历", "Working calendar"), active: "/settings/calendar", content)
        response.status = status
        return response
    }

    /// Records a holiday or make-up workday.
    @Sendable static func setDay(req: Request) async throws -> Response {
        let form = try req.content.decode(DayForm.self)
        var errors: [FieldError] = []
        let date = LocalDate(iso: form.date ?? "")
        if date == nil {
            errors.append(FieldError(code: "invalid_date", field: "date", zh: "请选择有效日期", en: "choose a valid date"))
        }
        let kind = CalendarException.Kind(rawValue: form.kind ?? "")
        if kind == nil { errors.append(FieldError(code: "invalid_value", field: "kind", zh: "类型无效", en: "invalid kind")) }
        if (form.name ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.append(.required("name", label: req.tr("名称", "name"))) }
        guard errors.isEmpty, let date, let kind else {
            return try await render(req, year: date?.year ?? req.time.now().chinaLocalDate.year, errors: errors,
                                    status: .unprocessableEntity)
        }
        try await CalendarStore.set(CalendarException(date: date, kind: kind, name: form.name ?? ""), on: req.db,
                                    actor: try req.requireUser().actor, time: req.time)
        return req.redirect(to: "/settings/calendar?year=\(date.year)&done=\(req.tr("已保存 \(date)", "Saved \(date)").urlQueryEncoded)")
    }

    /// Removes an entry.
    @Sendable static func removeDay(req: Request) async throws -> Response {
        let date = try date(req.parameters.get("date"), field: "date")
        let form = try req.content.decode(DayForm.self)
        try await CalendarStore.remove(date, reason: form.reason ?? "", on: req.db, actor: try req.requireUser().actor,
                                       time: req.time)
        return req.redirect(to: "/settings/calendar?year=\(date.year)&done=\(req.tr("已删除 \(date)", "Removed \(date)").urlQueryEncoded)")
    }

    /// Imports a pasted YAML arrangement, all or nothing.
    @Sendable static func importYAML(req: Request) async throws -> Response {
        let form = try req.content.decode(DayForm.self)
        do {
            let n = try await CalendarStore.importYAML(form.yaml ?? "", on: req.db, actor: try req.requireUser().actor,
                                                       time: req.time)
            return req.redirect(to: "/settings/calendar?done=\(req.tr("已导入 \(n) 天", "Imported \(n) days").urlQueryEncoded)")
        } catch let failure as ValidationFailure {
            return try await render(req, year: req.time.now().chinaLocalDate.year, errors: failure.errors,
                                    status: .unprocessableEntity)
        }
    }

    /// `GET /api/v1/calendar/{year}`.
    @Sendable static func apiYear(req: Request) async throws -> CalendarYearDTO {
        let y = try year(req, req.parameters.get("year"))
        let days = try await CalendarStore.exceptions(year: y, on: req.db)
        return CalendarYearDTO(year: y, days: days.map { CalendarDayDTO(date: $0.date.description, kind: $0.kind.rawValue, name: $0.name) })
    }

    /// `GET /api/v1/calendar/working-days?from=…&to=…` or `?from=…&add=N`.
    @Sendable static func apiWorkingDays(req: Request) async throws -> WorkingDaysDTO {
        let from = try date(req.query[String.self, at: "from"], field: "from")
        let calendar = try await CalendarStore.calendar(on: req.db)
        if let addText = req.query[String.self, at: "add"] {
            guard let n = Int(addText), (0...3650).contains(n) else {
                throw WebError.badField("add", zh: "add 应为 0–3650 的整数", en: "add must be a whole number from 0 to 3650")
            }
            return WorkingDaysDTO(from: from.description, to: calendar.addingWorkingDays(n, to: from).description,
                                  workingDays: nil, addedWorkingDays: n)
        }
        let to = try date(req.query[String.self, at: "to"], field: "to")
        guard to >= from, to.dayNumber - from.dayNumber <= 36_600 else {
            throw WebError.badField("to", code: "range_reversed", zh: "结束日期不能早于开始日期，且跨度不超过 100 年",
                                    en: "to must not be before from, and at most 100 years later")
        }
        return WorkingDaysDTO(from: from.description, to: to.description,
                              workingDays: calendar.workingDays(from: from, through: to), addedWorkingDays: nil)
    }
}
