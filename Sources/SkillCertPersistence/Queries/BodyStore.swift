import FluentKit
import Foundation
import SkillCertCore

/// Reads and saves the certification body's registration data.
public enum BodyStore {
    /// The body, or nil before it has been set up.
    public static func load(on db: any Database) async throws -> CertificationBody? {
        guard let row = try await StoredBody.query(on: db).with(\.$sites).first(),
              let type = CertificationBody.BodyType(rawValue: row.bodyType) else { return nil }
        let sites = row.sites.sorted { $0.position < $1.position }
            .map { CertificationBody.Site(code: $0.code, name: $0.name, address: $0.address) }
        return CertificationBody(type: type, code: row.code, name: row.name, provinceCode: row.provinceCode, sites: sites)
    }

    /// Validates and saves the body (creating it on first save), audited with the reason.
    public static func save(_ body: CertificationBody, reason: String?, on db: any Database, actor: AuditActor,
                            time: any TimeSource) async throws {
        let provinces = Set(HolidayData.provinces().map(\.code))
        let problems = body.problems(knownProvinces: provinces)
        if !problems.isEmpty { throw ValidationFailure(problems) }
        let before = try await load(on: db)
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let row = try await StoredBody.query(on: audit.db).first() ?? StoredBody()
            row.bodyType = body.type.rawValue
            row.code = body.code
            row.name = body.name.trimmingCharacters(in: .whitespaces)
            row.provinceCode = body.provinceCode
            try await row.save(on: audit.db)
            let bodyID = try row.requireID()
            try await StoredSite.query(on: audit.db).filter(\.$body.$id == bodyID).delete()
            for (i, site) in body.sites.enumerated() {
                let s = StoredSite()
                s.$body.id = bodyID
                s.code = site.code
                s.name = site.name.trimmingCharacters(in: .whitespaces)
                s.address = site.address.trimmingCharacters(in: .whitespaces)
                s.position = i
                try await s.create(on: audit.db)
            }
            try await audit.record(AuditEvent(action: before == nil ? "body.create" : "body.update",
                                              targetType: "body", targetID: bodyID.uuidString, reason: reason,
                                              before: before, after: body,
                                              details: "\(body.type.rawValue)\(body.code) \(body.name); sites: \(body.sites.map(\.code).joined(separator: ","))"))
        }
    }
}

/// The body's configurable rule values, each falling back to its shipped default.
public enum SettingsStore {
    /// The current value of every setting.
    public static func all(on db: any Database) async throws -> [SettingKey: Int] {
        let rows = try await Setting.query(on: db).all()
        var values = Dictionary(uniqueKeysWithValues: SettingKey.allCases.map { ($0, $0.defaultValue) })
        for row in rows {
            if let key = SettingKey(rawValue: row.key), let v = Int(row.value), key.allowedRange.contains(v) {
                values[key] = v
            }
        }
        return values
    }

    /// The current value of one setting.
    public static func value(_ key: SettingKey, on db: any Database) async throws -> Int {
        guard let row = try await Setting.query(on: db).filter(\.$key == key.rawValue).first(),
              let v = Int(row.value), key.allowedRange.contains(v) else { return key.defaultValue }
        return v
    }

    /// Changes one setting, audited with the reason.
    public static func set(_ key: SettingKey, to value: Int, reason: String, on db: any Database, actor: AuditActor,
                           time: any TimeSource) async throws {
        guard key.allowedRange.contains(value) else {
            throw ValidationFailure([FieldError(
                code: "out_of_range", field: key.rawValue,
                zh: "“\(key.labelZH)”应在 \(key.allowedRange.lowerBound)–\(key.allowedRange.upperBound) 之间",
                en: "\(key.rawValue) must be between \(key.allowedRange.lowerBound) and \(key.allowedRange.upperBound)")])
        }
        let old = try await self.value(key, on: db)
        guard old != value else { return }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            if let row = try await Setting.query(on: audit.db).filter(\.$key == key.rawValue).first() {
                row.value = String(value)
                try await row.save(on: audit.db)
            } else {
                try await Setting(key: key.rawValue, value: String(value)).create(on: audit.db)
            }
            try await audit.record(AuditEvent(action: "setting.update", targetType: "setting", targetID: key.rawValue,
                                              reason: reason.isEmpty ? nil : reason, before: old, after: value,
                                              details: "\(key.rawValue): \(old) → \(value)"))
        }
    }
}

/// The working-day calendar kept in the database.
public enum CalendarStore {
    /// The whole calendar.
    public static func calendar(on db: any Database) async throws -> WorkingCalendar {
        WorkingCalendar(exceptions: try await CalendarDay.query(on: db).all().compactMap(\.exception))
    }

    /// The exceptions of one year, in date order.
    public static func exceptions(year: Int, on db: any Database) async throws -> [CalendarException] {
        try await CalendarDay.query(on: db).filter(\.$day >= "\(year)-01-01").filter(\.$day <= "\(year)-12-31")
            .sort(\.$day).all().compactMap(\.exception)
    }

    /// The years that have any exception recorded.
    public static func years(on db: any Database) async throws -> [Int] {
        let days = try await CalendarDay.query(on: db).all(\.$day)
        return Set(days.compactMap { Int($0.prefix(4)) }).sorted()
    }

    /// Records or replaces the exception on one date.
    public static func set(_ exception: CalendarException, on db: any Database, actor: AuditActor,
                           time: any TimeSource) async throws {
        if exception.name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationFailure([.required("name", label: "名称")])
        }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let existing = try await CalendarDay.query(on: audit.db).filter(\.$day == exception.date.description).first()
            let before = existing?.exception
            let row = existing ?? CalendarDay(exception)
            row.kind = exception.kind.rawValue
            row.name = exception.name
            try await row.save(on: audit.db)
            try await audit.record(AuditEvent(action: "calendar.set", targetType: "calendar-day",
                                              targetID: exception.date.description, before: before, after: exception,
                                              details: "\(exception.date) \(exception.kind.rawValue) \(exception.name)"))
        }
    }

    /// Removes the exception on one date (it becomes an ordinary weekday or weekend day).
    public static func remove(_ date: LocalDate, reason: String, on db: any Database, actor: AuditActor,
                              time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let row = try await CalendarDay.query(on: audit.db).filter(\.$day == date.description).first() else {
                throw DomainError.notFound(what: "calendar day \(date)")
            }
            let before = row.exception
            try await row.delete(on: audit.db)
            try await audit.record(AuditEvent(action: "calendar.remove", targetType: "calendar-day",
                                              targetID: date.description, reason: reason.isEmpty ? nil : reason,
                                              before: before, after: CalendarException?.none,
                                              details: "\(date) \(before?.name ?? "")"))
        }
    }

    /// Imports a year's arrangement in the shipped YAML form, replacing the exceptions of every year it names.
    /// All or nothing.
    public static func importYAML(_ text: String, on db: any Database, actor: AuditActor,
                                  time: any TimeSource) async throws -> Int {
        let exceptions = try HolidayData.parse(text)
        let years = Set(exceptions.map(\.date.year)).sorted()
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            for y in years {
                try await CalendarDay.query(on: audit.db).filter(\.$day >= "\(y)-01-01").filter(\.$day <= "\(y)-12-31")
                    .delete()
            }
            for e in exceptions { try await CalendarDay(e).create(on: audit.db) }
            try await audit.record(AuditEvent(action: "calendar.import", targetType: "calendar",
                                              targetID: years.map(String.init).joined(separator: ","),
                                              before: String?.none, after: exceptions,
                                              details: "\(exceptions.count) days for \(years.map(String.init).joined(separator: ", "))"))
            return exceptions.count
        }
    }
}
