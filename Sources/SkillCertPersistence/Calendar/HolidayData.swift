import Foundation
import SkillCertCore
import Yams

/// The State Council's holiday arrangements in the YAML form of `Resources/holidays-cn.yaml`.
public enum HolidayData {
    /// The arrangements shipped with the product (2025 and 2026).
    public static func shipped() throws -> [CalendarException] {
        try parse(try resourceText("holidays-cn", ext: "yaml"))
    }

    /// Parses the YAML form: `YEAR: {holidays: [{name, from, to}], workdays: [date, …]}`.
    /// Errors name the path of the offending value (`2026.holidays[2].to`).
    public static func parse(_ text: String) throws -> [CalendarException] {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ValidationFailure([FieldError(code: "invalid_yaml", field: "$",
                                                zh: "YAML 格式错误：\(error)", en: "not valid YAML: \(error)")])
        }
        guard let mapping = root?.mapping else {
            throw ValidationFailure([FieldError(code: "invalid_yaml", field: "$",
                                                zh: "应为以年份为键的映射", en: "expected a mapping keyed by year")])
        }
        var out: [CalendarException] = []
        var errors: [FieldError] = []
        func date(_ node: Node?, _ path: String) -> LocalDate? {
            if let s = node?.scalar?.string, let d = LocalDate(iso: s) { return d }
            errors.append(FieldError(code: "invalid_date", field: path,
                                     zh: "\(path) 不是 YYYY-MM-DD 格式的有效日期", en: "\(path) is not a valid YYYY-MM-DD date"))
            return nil
        }
        for (key, value) in mapping {
            let year = key.scalar?.string ?? "?"
            for (i, h) in (value["holidays"]?.sequence ?? []).enumerated() {
                let path = "\(year).holidays[\(i)]"
                let name = h["name"]?.scalar?.string ?? ""
                if name.isEmpty {
                    errors.append(FieldError(code: "required", field: "\(path).name", zh: "\(path).name 不能为空",
                                             en: "\(path).name is required"))
                } else if name.count > 50 || name.containsHiddenControls {
                    errors.append(FieldError(code: "invalid_name", field: "\(path).name",
                                             zh: "\(path).name 应为不超过 50 个字符的可见文字",
                                             en: "\(path).name must be at most 50 visible characters"))
                }
                guard let from = date(h["from"], "\(path).from"), let to = date(h["to"], "\(path).to") else { continue }
                if to < from {
                    errors.append(FieldError(code: "range_reversed", field: "\(path).to",
                                             zh: "\(path) 的结束日期早于开始日期", en: "\(path).to is before \(path).from"))
                    continue
                }
                if to.dayNumber - from.dayNumber > 31 || String(from.year) != year {
                    errors.append(FieldError(code: "range_invalid", field: "\(path).to",
                                             zh: "\(path) 应在 \(year) 年内且不超过 31 天", en: "\(path) must lie in \(year) and span at most 31 days"))
                    continue
                }
                var d = from
                while d <= to {
                    out.append(CalendarException(date: d, kind: .holiday, name: name))
                    d = d.adding(days: 1)
                }
            }
            for (i, w) in (value["workdays"]?.sequence ?? []).enumerated() {
                if let d = date(w, "\(year).workdays[\(i)]"), String(d.year) == year {
                    out.append(CalendarException(date: d, kind: .workday, name: "调休上班"))
                }
            }
        }
        var seen = Set<LocalDate>()
        for e in out where !seen.insert(e.date).inserted {
            errors.append(FieldError(code: "duplicate_date", field: "\(e.date.year)", zh: "\(e.date) 出现了不止一次",
                                     en: "\(e.date) appears more than once"))
        }
        if !errors.isEmpty { throw ValidationFailure(errors) }
        return out.sorted { $0.date < $1.date }
    }

    /// GB/T 2260 province codes and names, from `Resources/provinces-cn.yaml` (read once).
    public static func provinces() -> [(code: String, name: String)] { provinceList }

    private static let provinceList: [(code: String, name: String)] = loadProvinces()

    private static func loadProvinces() -> [(code: String, name: String)] {
        guard let text = try? resourceText("provinces-cn", ext: "yaml"),
              let map = try? Yams.load(yaml: text) as? [AnyHashable: Any] else { return [] }
        return map.compactMap { k, v in
            guard let name = v as? String else { return nil }
            return (code: "\(k)", name: name)
        }.sorted { $0.code < $1.code }
    }

    static func resourceText(_ name: String, ext: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources") else {
            throw DomainError.notFound(what: "resource \(name).\(ext)")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
