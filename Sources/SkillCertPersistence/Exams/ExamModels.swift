import FluentKit
import Foundation
import SkillCertCore
import SQLKit

/// An examiner (考评员) or supervisor (督导员) in the registry, tied to the person's sign-in account.
public final class RegistryMember: Model, @unchecked Sendable {
    public static let schema = "registry_members"

    public enum Kind: String, Sendable, CaseIterable {
        case examiner
        case internalSupervisor = "internal-supervisor"
        case externalSupervisor = "external-supervisor"

        public var nameZH: String {
            switch self {
            case .examiner: "考评员"
            case .internalSupervisor: "内部督导员"
            case .externalSupervisor: "外部督导员"
            }
        }

        public var isSupervisor: Bool { self != .examiner }
    }

    public enum Status: String, Sendable, CaseIterable {
        case active, suspended

        public var nameZH: String { self == .active ? "在聘" : "暂停" }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "kind") public var kind: String
    @Field(key: "full_name") public var fullName: String
    @Field(key: "employer") public var employer: String
    @Field(key: "status") public var status: String
    @Field(key: "appointed_on") public var appointedOn: String
    @Field(key: "term_ends_on") public var termEndsOn: String
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var kindValue: Kind { Kind(rawValue: kind) ?? .examiner }
    public var statusValue: Status { Status(rawValue: status) ?? .active }

    /// Active and within the appointment term on the day.
    public func serves(on day: LocalDate) -> Bool {
        statusValue == .active && (LocalDate(iso: appointedOn).map { $0 <= day } ?? false) && (LocalDate(iso: termEndsOn).map { day <= $0 } ?? false)
    }
}

/// What an examiner may examine: an occupation up to a level, under a certificate valid for a period.
public final class RegistryQualification: Model, @unchecked Sendable {
    public static let schema = "registry_qualifications"

    @ID(key: .id) public var id: UUID?
    @Field(key: "member_id") public var memberID: UUID
    @Field(key: "occupation_code") public var occupationCode: String
    /// The highest level they may examine (1 is the highest level).
    @Field(key: "max_level") public var maxLevel: Int
    @Field(key: "certificate_number") public var certificateNumber: String
    @Field(key: "valid_from") public var validFrom: String
    @Field(key: "valid_to") public var validTo: String

    public init() {}

    /// Covers an occupation and level on the day.
    public func covers(occupation: String, level: Int, on day: LocalDate) -> Bool {
        occupationCode == occupation && Level(maxLevel).satisfies(Level(level))
            && (LocalDate(iso: validFrom).map { $0 <= day } ?? false) && (LocalDate(iso: validTo).map { day <= $0 } ?? false)
    }
}

/// A training the member attended.
public final class RegistryTraining: Model, @unchecked Sendable {
    public static let schema = "registry_trainings"

    @ID(key: .id) public var id: UUID?
    @Field(key: "member_id") public var memberID: UUID
    @Field(key: "course") public var course: String
    @Field(key: "held_on") public var heldOn: String
    @Field(key: "hours") public var hours: Int
    @Field(key: "result") public var result: String

    public init() {}
}

/// A room at a site, with its capacity and seat layout (rows × columns).
public final class ExamRoom: Model, @unchecked Sendable {
    public static let schema = "exam_rooms"

    @ID(key: .id) public var id: UUID?
    @Field(key: "site_code") public var siteCode: String
    @Field(key: "name") public var name: String
    @Field(key: "capacity") public var capacity: Int
    @Field(key: "seat_rows") public var seatRows: Int
    @Field(key: "seat_columns") public var seatColumns: Int

    public init() {}
}

/// A sitting of one part of a plan's assessment at one level.
public final class ExamSession: Model, @unchecked Sendable {
    public static let schema = "exam_sessions"

    public enum Mode: String, Sendable, CaseIterable {
        case computer, paper, practical, review

        public var nameZH: String {
            switch self {
            case .computer: "机考"
            case .paper: "笔试"
            case .practical: "实操"
            case .review: "综合评审"
            }
        }

        public var part: AssessmentPartKind {
            switch self {
            case .computer, .paper: .theory
            case .practical: .skills
            case .review: .comprehensiveReview
            }
        }
    }

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "level") public var level: Int
    @Field(key: "mode") public var mode: String
    @Field(key: "held_on") public var heldOn: String
    @Field(key: "start_minute") public var startMinute: Int
    @Field(key: "minutes") public var minutes: Int
    @Field(key: "site_code") public var siteCode: String
    @OptionalField(key: "seat_seed") public var seatSeed: Int64?
    /// Announced by the invigilator at the start; candidates type it with their ticket (computer-based sessions).
    @OptionalField(key: "session_password") public var sessionPassword: String?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}

    public var modeValue: Mode { Mode(rawValue: mode) ?? .paper }
    public var slot: TimeSlot { TimeSlot(date: LocalDate(iso: heldOn) ?? .distantFuture, startMinute: startMinute, minutes: minutes) }
}

/// A room used by a session.
public final class SessionRoom: Model, @unchecked Sendable {
    public static let schema = "session_rooms"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "room_id") public var roomID: UUID

    public init() {}
}

/// A candidate's admission ticket for a plan: one number, printed on every session's seat.
public final class AdmissionTicketRecord: Model, @unchecked Sendable {
    public static let schema = "admission_tickets"

    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: UUID
    @Field(key: "application_id") public var applicationID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "number") public var number: String
    @Field(key: "issued_at") public var issuedAt: Date

    public init() {}
}

/// A candidate's seat in a session.
public final class SeatAssignment: Model, @unchecked Sendable {
    public static let schema = "seat_assignments"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @Field(key: "room_id") public var roomID: UUID
    @Field(key: "application_id") public var applicationID: UUID
    @Field(key: "candidate_id") public var candidateID: UUID
    @Field(key: "seat") public var seat: Int
    @OptionalField(key: "checked_in_at") public var checkedInAt: Date?
    @OptionalField(key: "checked_in_by") public var checkedInBy: UUID?
    /// `present`, `absent`, or nil before the session.
    @OptionalField(key: "attendance") public var attendance: String?

    public init() {}
}

/// A person assigned to a session: to a room (invigilator, examiner, chief examiner) or to the whole session (supervisor).
public final class StaffAssignment: Model, @unchecked Sendable {
    public static let schema = "staff_assignments"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    @OptionalField(key: "room_id") public var roomID: UUID?
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "role") public var role: String
    /// The seed of the random draw that chose this person, if drawn.
    @OptionalField(key: "draw_seed") public var drawSeed: Int64?
    @Field(key: "assigned_by") public var assignedBy: UUID?
    @Field(key: "assigned_at") public var assignedAt: Date

    public init() {}

    public var roleValue: StaffRole { StaffRole(rawValue: role) ?? .invigilator }
}

/// Exam-day records: an incident (违纪) or a supervisor's inspection.
public final class SessionRecord: Model, @unchecked Sendable {
    public static let schema = "session_records"

    @ID(key: .id) public var id: UUID?
    @Field(key: "session_id") public var sessionID: UUID
    /// `incident` or `inspection`.
    @Field(key: "kind") public var kind: String
    @OptionalField(key: "candidate_id") public var candidateID: UUID?
    @Field(key: "description") public var text: String
    @OptionalField(key: "evidence_key") public var evidenceKey: String?
    @OptionalField(key: "decision") public var decision: String?
    @OptionalField(key: "decided_by") public var decidedBy: UUID?
    @Field(key: "recorded_by") public var recordedBy: UUID
    @Field(key: "recorded_at") public var recordedAt: Date

    public init() {}
}

struct CreateExamAffairs: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(RegistryMember.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, .id))
            .field("kind", .string, .required)
            .field("full_name", .string, .required)
            .field("employer", .string, .required)
            .field("status", .string, .required)
            .field("appointed_on", .string, .required)
            .field("term_ends_on", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id")
            .create()
        try await db.schema(RegistryQualification.schema)
            .id()
            .field("member_id", .uuid, .required, .references(RegistryMember.schema, .id))
            .field("occupation_code", .string, .required)
            .field("max_level", .int, .required)
            .field("certificate_number", .string, .required)
            .field("valid_from", .string, .required)
            .field("valid_to", .string, .required)
            .create()
        try await db.schema(RegistryTraining.schema)
            .id()
            .field("member_id", .uuid, .required, .references(RegistryMember.schema, .id))
            .field("course", .string, .required)
            .field("held_on", .string, .required)
            .field("hours", .int, .required)
            .field("result", .string, .required)
            .create()
        try await db.schema(ExamRoom.schema)
            .id()
            .field("site_code", .string, .required)
            .field("name", .string, .required)
            .field("capacity", .int, .required)
            .field("seat_rows", .int, .required)
            .field("seat_columns", .int, .required)
            .unique(on: "site_code", "name")
            .create()
        try await db.schema(ExamSession.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("level", .int, .required)
            .field("mode", .string, .required)
            .field("held_on", .string, .required)
            .field("start_minute", .int, .required)
            .field("minutes", .int, .required)
            .field("site_code", .string, .required)
            .field("seat_seed", .int64)
            .field("created_at", .datetime, .required)
            .create()
        try await db.schema(SessionRoom.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("room_id", .uuid, .required, .references(ExamRoom.schema, .id))
            .unique(on: "session_id", "room_id")
            .create()
        try await db.schema(AdmissionTicketRecord.schema)
            .id()
            .field("plan_id", .uuid, .required, .references(StoredPlan.schema, .id))
            .field("application_id", .uuid, .required, .references(StoredApplication.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("number", .string, .required)
            .field("issued_at", .datetime, .required)
            .unique(on: "number")
            .unique(on: "application_id")
            .create()
        try await db.schema(SeatAssignment.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("room_id", .uuid, .required, .references(ExamRoom.schema, .id))
            .field("application_id", .uuid, .required, .references(StoredApplication.schema, .id))
            .field("candidate_id", .uuid, .required, .references(User.schema, .id))
            .field("seat", .int, .required)
            .field("checked_in_at", .datetime)
            .field("checked_in_by", .uuid)
            .field("attendance", .string)
            .unique(on: "session_id", "candidate_id")
            .unique(on: "session_id", "room_id", "seat")
            .create()
        try await db.schema(StaffAssignment.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("room_id", .uuid, .references(ExamRoom.schema, .id))
            .field("user_id", .uuid, .required, .references(User.schema, .id))
            .field("role", .string, .required)
            .field("draw_seed", .int64)
            .field("assigned_by", .uuid)
            .field("assigned_at", .datetime, .required)
            .unique(on: "session_id", "user_id")
            .create()
        try await db.schema(SessionRecord.schema)
            .id()
            .field("session_id", .uuid, .required, .references(ExamSession.schema, .id))
            .field("kind", .string, .required)
            .field("candidate_id", .uuid)
            .field("description", .string, .required)
            .field("evidence_key", .string)
            .field("decision", .string)
            .field("decided_by", .uuid)
            .field("recorded_by", .uuid, .required)
            .field("recorded_at", .datetime, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        for schema in [SessionRecord.schema, StaffAssignment.schema, SeatAssignment.schema, AdmissionTicketRecord.schema,
                       SessionRoom.schema, ExamSession.schema, ExamRoom.schema, RegistryTraining.schema,
                       RegistryQualification.schema, RegistryMember.schema] {
            try await db.schema(schema).delete()
        }
    }
}
