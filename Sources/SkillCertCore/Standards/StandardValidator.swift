import Foundation

/// Checks a standard document and names every problem by its path (`levels[2].parts[0].minutes`).
public enum StandardValidator {
    public static func problems(_ s: OccupationalStandard) -> [FieldError] {
        var errors: [FieldError] = []
        func fail(_ path: String, _ code: String, _ zh: String, _ en: String) {
            errors.append(FieldError(code: code, field: path, zh: "\(path)：\(zh)", en: "\(path): \(en)"))
        }
        if s.schemaVersion != OccupationalStandard.currentSchemaVersion {
            fail("schemaVersion", "unsupported_version", "不支持的格式版本 \(s.schemaVersion)（应为 1）",
                 "unsupported schema version \(s.schemaVersion) (expected 1)")
        }
        if !Occupation.isValidCode(s.occupation.code) {
            fail("occupation.code", "invalid_format", "职业编码应为 N-NN-NN-NN 格式", "must have the form N-NN-NN-NN")
        }
        if s.occupation.name.trimmingCharacters(in: .whitespaces).isEmpty {
            fail("occupation.name", "required", "不能为空", "is required")
        }
        if s.occupation.classificationEdition.isEmpty {
            fail("occupation.classificationEdition", "required", "须注明大典版本", "is required")
        }
        for (i, flag) in s.occupation.flags.enumerated() where !["S", "L"].contains(flag) {
            fail("occupation.flags[\(i)]", "invalid_value", "标识只能是 S 或 L", "must be S or L")
        }
        if s.edition.edition.trimmingCharacters(in: .whitespaces).isEmpty {
            fail("edition.edition", "required", "不能为空", "is required")
        }
        if s.edition.documentNumber.trimmingCharacters(in: .whitespaces).isEmpty {
            fail("edition.documentNumber", "required", "不能为空", "is required")
        }
        if let issued = s.edition.issuedOn, LocalDate(iso: issued) == nil {
            fail("edition.issuedOn", "invalid_date", "不是有效日期", "is not a valid date")
        }
        if s.levels.isEmpty { fail("levels", "required", "至少需要一个等级", "at least one level is required") }
        var seen = Set<Level>()
        for (i, spec) in s.levels.enumerated() {
            let p = "levels[\(i)]"
            if !spec.level.isKnown { fail("\(p).level", "unknown_level", "未知等级 \(spec.level.number)", "unknown level \(spec.level.number)") }
            if !seen.insert(spec.level).inserted { fail("\(p).level", "duplicate", "等级重复", "level appears twice") }
            if spec.eligibility.isEmpty { fail("\(p).eligibility", "required", "至少需要一条申报条件", "at least one alternative is required") }
            for (j, alt) in spec.eligibility.enumerated() {
                let ap = "\(p).eligibility[\(j)]"
                if alt.all.isEmpty { fail("\(ap).all", "required", "条件不能为空", "needs at least one condition") }
                for (k, c) in alt.all.enumerated() {
                    let cp = "\(ap).all[\(k)]"
                    switch c {
                    case .work(let years, _, let after):
                        if years < 1 || years > 50 { fail("\(cp).work.years", "out_of_range", "年限应在 1–50 之间", "must be 1–50") }
                        if let after, !after.level.isKnown { fail("\(cp).work.afterCertificate.level", "unknown_level", "未知等级", "unknown level") }
                    case .certificate(let r):
                        if !r.level.isKnown { fail("\(cp).certificate.level", "unknown_level", "未知等级", "unknown level") }
                    case .graduate(let schools, _, _, _), .enrolled(let schools, _):
                        if schools.isEmpty { fail(cp, "required", "须列出学校类型", "must list school types") }
                    case .minimumAge(let age):
                        if age < 1 || age > 80 { fail("\(cp).minimumAge", "out_of_range", "年龄应在 1–80 之间", "must be 1–80") }
                    case .apprenticeship, .title, .worksOrIntendsToWork:
                        break
                    }
                }
            }
            var kinds = Set<AssessmentPartKind>()
            if spec.parts.isEmpty { fail("\(p).parts", "required", "至少需要一个考核部分", "at least one part is required") }
            for (j, part) in spec.parts.enumerated() {
                let pp = "\(p).parts[\(j)]"
                if !kinds.insert(part.part).inserted { fail("\(pp).part", "duplicate", "考核部分重复", "part appears twice") }
                if part.minutes < 1 || part.minutes > 1440 { fail("\(pp).minutes", "out_of_range", "时长应在 1–1440 分钟之间", "must be 1–1440") }
                if part.passMark < 1 || part.passMark > 100 { fail("\(pp).passMark", "out_of_range", "合格线应在 1–100 之间", "must be 1–100") }
            }
            for (j, table) in (spec.elementTables ?? []).enumerated() {
                let tp = "\(p).elementTables[\(j)]"
                if !kinds.contains(table.part) {
                    fail("\(tp).part", "unknown_part", "该等级没有此考核部分", "the level has no such part")
                }
                // Clamped so that absurd weights in an uploaded document cannot overflow the sum.
                let total = table.scopes.reduce(0) { $0 + min(max($1.weight, -1000), 1000) }
                if total != 100 { fail("\(tp).scopes", "weights_not_100", "鉴定比重合计为 \(total)%，应为 100%", "weights add up to \(total)%, not 100%") }
                var scopeCodes = Set<String>()
                for (k, scope) in table.scopes.enumerated() {
                    let sp = "\(tp).scopes[\(k)]"
                    if !scopeCodes.insert(scope.code).inserted || scope.code.isEmpty {
                        fail("\(sp).code", "duplicate", "鉴定范围代码为空或重复", "empty or repeated scope code")
                    }
                    if scope.weight < 0 || scope.weight > 100 { fail("\(sp).weight", "out_of_range", "比重应在 0–100 之间", "must be 0–100") }
                    var elementCodes = Set<String>()
                    for (m, e) in scope.elements.enumerated() where !elementCodes.insert(e.code).inserted || e.code.isEmpty {
                        fail("\(sp).elements[\(m)].code", "duplicate", "鉴定点代码为空或重复", "empty or repeated element code")
                    }
                }
            }
        }
        for (name, table) in [("theoryWeights", s.theoryWeights), ("skillWeights", s.skillWeights)] {
            guard let table else { continue }
            for level in table.levels where !seen.contains(level) {
                fail("\(name).levels", "unknown_level", "\(level.shortName) 不是本标准设置的等级", "\(level.number) is not a level of this standard")
            }
            for (r, row) in table.rows.enumerated() where row.percents.count != table.levels.count {
                fail("\(name).rows[\(r)].percents", "wrong_count", "应有 \(table.levels.count) 个数值", "needs \(table.levels.count) values")
            }
            for level in table.levels {
                if let t = table.total(for: level), t != 100 {
                    fail(name, "weights_not_100", "\(level.shortName) 列合计为 \(t)%，应为 100%", "column \(level.number) adds up to \(t)%, not 100%")
                }
            }
        }
        return errors
    }
}

