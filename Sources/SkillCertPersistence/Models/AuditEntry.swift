import FluentKit
import SkillCertCore

/// A stored audit-log entry. The primary key is the chain sequence, so a fork cannot be stored.
public final class AuditEntry: Model, @unchecked Sendable {
    public static let schema = "audit_entries"

    @ID(custom: .id, generatedBy: .user) public var id: Int?
    @Field(key: "occurred_at") public var occurredAt: String
    @OptionalField(key: "actor_id") public var actorID: String?
    @Field(key: "actor_name") public var actorName: String
    @Field(key: "action") public var action: String
    @Field(key: "target_type") public var targetType: String
    @OptionalField(key: "target_id") public var targetID: String?
    @OptionalField(key: "reason") public var reason: String?
    @OptionalField(key: "before_digest") public var beforeDigest: String?
    @OptionalField(key: "after_digest") public var afterDigest: String?
    @Field(key: "details") public var details: String
    @Field(key: "prev_hash") public var previousHash: String
    @Field(key: "hash") public var hash: String

    public init() {}

    public init(_ r: AuditRecord) {
        id = r.sequence
        occurredAt = r.occurredAt
        actorID = r.actorID
        actorName = r.actorName
        action = r.action
        targetType = r.targetType
        targetID = r.targetID
        reason = r.reason
        beforeDigest = r.beforeDigest
        afterDigest = r.afterDigest
        details = r.details
        previousHash = r.previousHash
        hash = r.hash
    }

    public var record: AuditRecord {
        AuditRecord(sequence: id ?? 0, occurredAt: occurredAt, actorID: actorID, actorName: actorName, action: action,
                    targetType: targetType, targetID: targetID, reason: reason, beforeDigest: beforeDigest,
                    afterDigest: afterDigest, details: details, previousHash: previousHash, hash: hash)
    }
}
