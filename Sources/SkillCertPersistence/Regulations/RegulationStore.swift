import FluentKit
import Foundation
import SkillCertCore

/// The body's rule documents (制度建设) and their versions: a new version supersedes the previous one from its
/// effective date, and every version is kept.
public enum RegulationStore {
    /// A document with its versions, newest effective date first.
    public struct Document: Sendable {
        public var regulation: StoredRegulation
        public var versions: [StoredRegulationVersion]

        /// The version that applies on `day`: the latest whose effective date has come.
        public func inEffect(on day: LocalDate) -> StoredRegulationVersion? {
            versions.first { $0.effective <= day }
        }
    }

    /// Checks a list of setting keys typed or ticked on a form.
    static func settingKeys(_ keys: [String], into v: inout FieldValidator) -> [SettingKey] {
        var result: [SettingKey] = []
        for raw in keys.map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
            if let key = SettingKey(rawValue: raw) { if !result.contains(key) { result.append(key) } }
            else { v.add(FieldError(code: "invalid_value", field: "settingKeys", zh: "没有规则参数“\(raw)”", en: "no setting \(raw)")) }
        }
        return result
    }

    /// Adds a document (without text yet: that comes with its first version).
    @discardableResult
    public static func create(title: String, isPublic: Bool, settingKeys keys: [String], actor: AuditActor,
                              on db: any Database, time: any TimeSource) async throws -> StoredRegulation {
        var v = FieldValidator()
        let name = v.require(title, field: "title", label: "制度名称", maxLength: 100)
        let settings = settingKeys(keys, into: &v)
        try v.check()
        if try await StoredRegulation.query(on: db).filter(\.$title == name).first() != nil {
            throw ValidationFailure([FieldError(code: "duplicate", field: "title", zh: "已有同名制度", en: "a document with this title exists")])
        }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let r = StoredRegulation()
            r.title = name
            r.isPublic = isPublic
            r.settingKeys = settings.map(\.rawValue).joined(separator: ",")
            r.createdAt = time.now()
            r.updatedAt = time.now()
            try await r.create(on: audit.db)
            try await audit.record(AuditEvent(action: "regulation.create", targetType: "regulation", targetID: r.id?.uuidString,
                                              details: "《\(name)》\(isPublic ? " public" : "") fixes: \(r.settingKeys)"))
            return r
        }
    }

    /// Changes whether the document is public and which settings it fixes.
    @discardableResult
    public static func update(_ id: UUID, isPublic: Bool, settingKeys keys: [String], actor: AuditActor,
                              on db: any Database, time: any TimeSource) async throws -> StoredRegulation {
        let r = try await find(id, on: db)
        var v = FieldValidator()
        let settings = settingKeys(keys, into: &v)
        try v.check()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let before = "\(r.isPublic) \(r.settingKeys)"
            r.isPublic = isPublic
            r.settingKeys = settings.map(\.rawValue).joined(separator: ",")
            r.updatedAt = time.now()
            try await r.save(on: audit.db)
            try await audit.record(AuditEvent(action: "regulation.update", targetType: "regulation", targetID: id.uuidString,
                                              before: before, after: "\(r.isPublic) \(r.settingKeys)",
                                              details: "《\(r.title)》 public: \(r.isPublic), fixes: \(r.settingKeys)"))
            return r
        }
    }

    /// An uploaded attachment.
    public struct Attachment: Sendable {
        public var fileName: String
        public var data: Data

        public init(fileName: String, data: Data) {
            self.fileName = fileName
            self.data = data
        }
    }

    /// Adds a version effective from `effectiveOn`, which must be later than every earlier version's date (the
    /// earlier ones stay as history). The attachment, if any, must be a PDF by its content.
    @discardableResult
    public static func addVersion(to id: UUID, label: String, effectiveOn: String, text: String, attachment: Attachment?,
                                  files: any FileStore, actor: AuditActor, on db: any Database,
                                  time: any TimeSource) async throws -> StoredRegulationVersion {
        let r = try await find(id, on: db)
        var v = FieldValidator()
        let name = v.require(label, field: "label", label: "版本", maxLength: 50)
        let day = LocalDate(iso: effectiveOn.trimmingCharacters(in: .whitespaces))
        if day == nil { v.add(FieldError(code: "invalid_date", field: "effectiveOn", zh: "请填写生效日期（如 2026-12-01）", en: "give the effective date")) }
        let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.count > 100_000 { v.add(FieldError(code: "too_long", field: "text", zh: "正文过长", en: "the text is too long")) }
        let file = attachment.flatMap { $0.data.isEmpty ? nil : $0 }
        if body.isEmpty && file == nil {
            v.add(FieldError(code: "required", field: "text", zh: "请填写正文或上传 PDF 文件", en: "give the text or attach a PDF"))
        }
        if let file {
            let maxBytes = try await SettingsStore.value(.materialMaxKB, on: db) * 1024
            do {
                let kind = try UploadRules.material(file.data, fileName: file.fileName, maxBytes: maxBytes, field: "file")
                if kind != .pdf {
                    v.add(FieldError(code: "unsupported_type", field: "file", zh: "制度文件须为 PDF（按文件内容判断）", en: "the file must be a PDF"))
                }
            } catch let failure as ValidationFailure {
                failure.errors.forEach { v.add($0) }
            }
        }
        try v.check()
        let latest = try await StoredRegulationVersion.query(on: db).filter(\.$regulationID == id).sort(\.$effectiveOn, .descending).first()
        if let latest, let day, latest.effective >= day {
            throw ValidationFailure([FieldError(code: "not_after_previous", field: "effectiveOn",
                                                zh: "生效日期须晚于现有最新版本（\(latest.effectiveOn)）", en: "must be after \(latest.effectiveOn)")])
        }
        var key: String?
        if let file { key = try await files.put(file.data) }
        let storedKey = key
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let version = StoredRegulationVersion()
            version.regulationID = id
            version.label = name
            version.effectiveOn = day!.description
            version.text = body
            version.fileKey = storedKey
            version.fileName = file.map { String($0.fileName.prefix(200)) }
            version.createdBy = actor.id
            version.createdAt = time.now()
            try await version.create(on: audit.db)
            r.updatedAt = time.now()
            try await r.save(on: audit.db)
            try await audit.record(AuditEvent(action: "regulation.version", targetType: "regulation", targetID: id.uuidString,
                                              details: "《\(r.title)》\(name) effective \(version.effectiveOn)\(storedKey.map { " file \($0)" } ?? "")"))
            return version
        }
    }

    public static func find(_ id: UUID, on db: any Database) async throws -> StoredRegulation {
        guard let r = try await StoredRegulation.find(id, on: db) else { throw DomainError.notFound(what: "regulation") }
        return r
    }

    /// One document with its history.
    public static func document(_ id: UUID, on db: any Database) async throws -> Document {
        let r = try await find(id, on: db)
        let versions = try await StoredRegulationVersion.query(on: db).filter(\.$regulationID == id)
            .sort(\.$effectiveOn, .descending).all()
        return Document(regulation: r, versions: versions)
    }

    /// Every document with its versions, by title.
    public static func documents(publicOnly: Bool = false, on db: any Database) async throws -> [Document] {
        let q = StoredRegulation.query(on: db).sort(\.$title)
        if publicOnly { q.filter(\.$isPublic == true) }
        let regulations = try await q.all()
        let versions = try await StoredRegulationVersion.query(on: db).filter(\.$regulationID ~~ regulations.compactMap(\.id))
            .sort(\.$effectiveOn, .descending).all()
        let byDocument = Dictionary(grouping: versions, by: \.regulationID)
        return regulations.map { Document(regulation: $0, versions: byDocument[$0.id!] ?? []) }
    }

    /// The public documents with the version in effect on `day` (documents with none yet in effect are left out).
    public static func publicInEffect(on day: LocalDate, db: any Database) async throws -> [(StoredRegulation, StoredRegulationVersion)] {
        try await documents(publicOnly: true, on: db).compactMap { d in d.inEffect(on: day).map { (d.regulation, $0) } }
    }

    /// For each setting, the document that fixes it (the first by title when several declare it).
    public static func basis(on db: any Database) async throws -> [SettingKey: StoredRegulation] {
        var result: [SettingKey: StoredRegulation] = [:]
        for r in try await StoredRegulation.query(on: db).filter(\.$settingKeys != "").sort(\.$title).all() {
            for key in r.settings where result[key] == nil { result[key] = r }
        }
        return result
    }
}
