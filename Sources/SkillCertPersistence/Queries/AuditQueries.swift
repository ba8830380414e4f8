import FluentKit
import SkillCertCore

/// Reading the audit log for people: filtered pages, newest first.
public enum AuditQueries {
    public struct Filter: Sendable {
        public var action: String?
        public var actor: String?
        public var targetType: String?
        public var targetID: String?

        public init(action: String? = nil, actor: String? = nil, targetType: String? = nil, targetID: String? = nil) {
            self.action = action
            self.actor = actor
            self.targetType = targetType
            self.targetID = targetID
        }
    }

    /// A page of entries matching the filter, newest first, with the total count.
    public static func page(_ filter: Filter, page: Int, perPage: Int,
                            on db: any Database) async throws -> (entries: [AuditEntry], total: Int) {
        let query = AuditEntry.query(on: db)
        if let a = filter.action?.trimmingCharacters(in: .whitespaces), !a.isEmpty { query.filter(\.$action =~ a) }
        if let a = filter.actor?.trimmingCharacters(in: .whitespaces), !a.isEmpty { query.filter(\.$actorName ~~ a) }
        if let t = filter.targetType?.trimmingCharacters(in: .whitespaces), !t.isEmpty { query.filter(\.$targetType == t) }
        if let t = filter.targetID?.trimmingCharacters(in: .whitespaces), !t.isEmpty { query.filter(\.$targetID == t) }
        let total = try await query.count()
        let entries = try await query.sort(\.$id, .descending).range(((page - 1) * perPage)..<(page * perPage)).all()
        return (entries, total)
    }

    /// The number of entries and the newest entry's sequence and hash.
    public static func head(on db: any Database) async throws -> (count: Int, last: AuditEntry?) {
        let last = try await AuditEntry.query(on: db).sort(\.$id, .descending).first()
        return (last?.id ?? 0, last)
    }

    /// The distinct target types, for the filter menu.
    public static func targetTypes(on db: any Database) async throws -> [String] {
        Array(Set(try await AuditEntry.query(on: db).all(\.$targetType))).sorted()
    }
}
