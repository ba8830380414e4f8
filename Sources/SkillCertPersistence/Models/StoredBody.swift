import FluentKit
import Foundation
import SkillCertCore

/// The certification body's registration data (one row per deployment).
public final class StoredBody: Model, @unchecked Sendable {
    public static let schema = "certification_bodies"

    @ID(key: .id) public var id: UUID?
    @Field(key: "body_type") public var bodyType: String
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    @Field(key: "province_code") public var provinceCode: String
    @Children(for: \.$body) public var sites: [StoredSite]

    public init() {}
}

/// A site of the body, with its province-assigned 6-digit code.
public final class StoredSite: Model, @unchecked Sendable {
    public static let schema = "body_sites"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "body_id") public var body: StoredBody
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    @Field(key: "address") public var address: String
    @Field(key: "position") public var position: Int

    public init() {}
}

/// A day that is not an ordinary working day or weekend: a holiday or a make-up workday.
public final class CalendarDay: Model, @unchecked Sendable {
    public static let schema = "calendar_days"

    @ID(key: .id) public var id: UUID?
    /// `YYYY-MM-DD`.
    @Field(key: "day") public var day: String
    @Field(key: "kind") public var kind: String
    @Field(key: "name") public var name: String

    public init() {}

    public init(_ exception: CalendarException) {
        day = exception.date.description
        kind = exception.kind.rawValue
        name = exception.name
    }

    /// The domain value, or nil for a row that does not parse.
    public var exception: CalendarException? {
        guard let date = LocalDate(iso: day), let kind = CalendarException.Kind(rawValue: kind) else { return nil }
        return CalendarException(date: date, kind: kind, name: name)
    }
}

/// A body-configurable rule value (see `SettingKey`).
public final class Setting: Model, @unchecked Sendable {
    public static let schema = "settings"

    @ID(key: .id) public var id: UUID?
    @Field(key: "key") public var key: String
    @Field(key: "value") public var value: String

    public init() {}

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
