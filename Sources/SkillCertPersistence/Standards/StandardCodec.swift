import Foundation
import SkillCertCore
import Yams

/// Reads and writes standard documents as YAML (`docs/formats/standard.md`). Reading validates the whole document
/// and names every problem by its path; writing is deterministic, so export → import → export is identical.
public enum StandardCodec {
    static let header = "# 国家职业技能标准 — SkillCert standard document, format: docs/formats/standard.md\n"

    /// Parses and validates a YAML document.
    public static func decode(_ text: String) throws -> OccupationalStandard {
        let standard: OccupationalStandard
        do {
            standard = try YAMLDecoder().decode(OccupationalStandard.self, from: text)
        } catch let error as DecodingError {
            var e = FieldError(decoding: error)
            if e.code == "invalid_json" { e = FieldError(code: "invalid_yaml", field: "$", zh: "YAML 内容无效", en: "invalid YAML document") }
            throw ValidationFailure([e])
        } catch {
            throw ValidationFailure([FieldError(code: "invalid_yaml", field: "$", zh: "YAML 格式错误：\(error)",
                                                en: "not valid YAML: \(error)")])
        }
        let problems = StandardValidator.problems(standard)
        if !problems.isEmpty { throw ValidationFailure(problems) }
        return standard
    }

    /// The YAML text of a standard.
    public static func encode(_ standard: OccupationalStandard) throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.allowUnicode = true
        encoder.options.width = 120
        encoder.options.sortKeys = false
        return header + (try encoder.encode(standard))
    }

    /// The canonical JSON stored in the database.
    public static func json(_ standard: OccupationalStandard) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(standard), as: UTF8.self)
    }

    public static func fromJSON(_ text: String) throws -> OccupationalStandard {
        try JSONDecoder().decode(OccupationalStandard.self, from: Data(text.utf8))
    }

    /// The standards shipped with the product (`Resources/standards/*.yaml`).
    public static func shipped() throws -> [OccupationalStandard] {
        guard let folder = Bundle.module.url(forResource: "standards", withExtension: nil, subdirectory: "Resources") else {
            throw DomainError.notFound(what: "shipped standards")
        }
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { try decode(String(contentsOf: $0, encoding: .utf8)) }
    }
}
