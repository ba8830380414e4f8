import FluentKit
import SkillCertCore

/// The working-day calendar's exceptions.
struct CreateCalendarDays: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(CalendarDay.schema)
            .id()
            .field("day", .string, .required)
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .unique(on: "day")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(CalendarDay.schema).delete()
    }
}

/// Loads the State Council's 2025 and 2026 holiday arrangements shipped with the product.
struct SeedHolidayCalendar: AsyncMigration {
    func prepare(on db: any Database) async throws {
        let exceptions = try HolidayData.shipped()
        for e in exceptions {
            try await CalendarDay(e).create(on: db)
        }
    }

    func revert(on db: any Database) async throws {
        let days = try HolidayData.shipped().map(\.date.description)
        try await CalendarDay.query(on: db).filter(\.$day ~~ days).delete()
    }
}
