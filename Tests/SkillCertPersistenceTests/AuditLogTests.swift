import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import SQLKit
import Testing
@testable import SkillCertPersistence

@Suite("Audit log on the database")
struct AuditLogTests {
    @Test("entries chain and verify; concurrent appends never fork the chain")
    func chainAndVerify() async throws {
        try await TestApp.with { t in
            // setup
            let actor = AuditActor(id: UUID(), name: "tester")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await AuditLog.record(AuditEvent(action: "test.write", targetType: "thing", targetID: "\(i)"),
                                                  on: t.db, actor: actor, time: t.time)
                    }
                }
                try await group.waitForAll()
            }
            // validate
            let count = try await AuditEntry.query(on: t.db).count()
            #expect(try await AuditLog.verify(on: t.db) == .success(count))
            #expect(count >= 20)
        }
    }

    @Test("an ordinary UPDATE or DELETE of an audit row is refused by the database")
    func appendOnly() async throws {
        try await TestApp.with { t in
            try await AuditLog.record(AuditEvent(action: "test.write", targetType: "thing", targetID: "1"),
                                      on: t.db, actor: .system(), time: t.time)
            let sql = try #require(t.db as? any SQLDatabase)
            await #expect(throws: (any Error).self) {
                try await sql.raw("UPDATE audit_entries SET details = 'forged'").run()
            }
            await #expect(throws: (any Error).self) {
                try await sql.raw("DELETE FROM audit_entries").run()
            }
            await #expect(throws: (any Error).self) {
                try await AuditEntry.query(on: t.db).set(\.$reason, to: "forged").update()
            }
            // The rows are untouched and the chain still verifies.
            let forged = try await AuditEntry.query(on: t.db).filter(\.$details == "forged").count()
            #expect(forged == 0)
            #expect(try await AuditLog.verify(on: t.db) == .success(try await AuditEntry.query(on: t.db).count()))
        }
    }

    @Test("a change and its audit entry commit together or not at all")
    func atomic() async throws {
        try await TestApp.with { t in
            let before = try await AuditEntry.query(on: t.db).count()
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await AuditLog.transaction(on: t.db, actor: .system(), time: t.time) { audit in
                    try await CalendarDay(CalendarException(date: LocalDate(iso: "2030-01-01")!, kind: .holiday,
                                                            name: "元旦")).create(on: audit.db)
                    try await audit.record(AuditEvent(action: "calendar.set", targetType: "calendar-day", targetID: "2030-01-01"))
                    throw Boom()
                }
            }
            #expect(try await AuditEntry.query(on: t.db).count() == before)
            #expect(try await CalendarDay.query(on: t.db).filter(\.$day == "2030-01-01").count() == 0)
        }
    }

    @Test("group commit: many audited changes share commits; one that fails is undone alone; the chain stays one chain")
    func groupCommit() async throws {
        try await TestApp.with { t in
            let before = try await AuditEntry.query(on: t.db).count()
            let commits = GroupCommit(db: t.db, limit: 8)
            struct Boom: Error {}
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for day in 1...24 {
                    group.addTask {
                        do {
                            _ = try await commits.transaction(actor: .system(), time: t.time) { audit in
                                let date = String(format: "2030-03-%02d", day)
                                try await CalendarDay(CalendarException(date: LocalDate(iso: date)!, kind: .holiday, name: "测试")).create(on: audit.db)
                                try await audit.record(AuditEvent(action: "calendar.set", targetType: "calendar-day", targetID: date))
                                if day % 5 == 0 { throw Boom() }
                                return day
                            }
                            return (day, true)
                        } catch { return (day, false) }
                    }
                }
                var all: [Int: Bool] = [:]
                for await (day, ok) in group { all[day] = ok }
                return all
            }
            #expect(outcomes.filter { !$0.value }.keys.sorted() == [5, 10, 15, 20])
            let days = try await CalendarDay.query(on: t.db).filter(\.$day >= "2030-03-01").filter(\.$day <= "2030-03-31").all().map(\.day).sorted()
            #expect(days.count == 20 && !days.contains("2030-03-05") && days.contains("2030-03-06"))
            let count = try await AuditEntry.query(on: t.db).count()
            #expect(count == before + 20)
            #expect(try await AuditLog.verify(on: t.db) == .success(count))
        }
    }
}

@Suite("Schema and shipped data")
struct SchemaTests {
    @Test("migrations load the 2025 and 2026 State Council holiday arrangements")
    func holidays() async throws {
        try await TestApp.with { t in
            let calendar = try await CalendarStore.calendar(on: t.db)
            #expect(!calendar.isWorkingDay(LocalDate(iso: "2026-10-01")!))
            #expect(calendar.isWorkingDay(LocalDate(iso: "2026-10-10")!))   // make-up Saturday
            #expect(!calendar.isWorkingDay(LocalDate(iso: "2025-01-28")!))  // 春节 2025
            #expect(calendar.isWorkingDay(LocalDate(iso: "2025-01-26")!))   // make-up Sunday
            #expect(try await CalendarStore.years(on: t.db) == [2025, 2026])
        }
    }

    @Test("migrations revert cleanly and run again")
    func revertAndRerun() async throws {
        try await TestApp.with { t in
            try await t.app.autoRevert()
            try await t.app.autoMigrate()
            #expect(try await CalendarDay.query(on: t.db).count() > 30)
        }
    }

    @Test("a calendar import with a bad date names the path and changes nothing")
    func badImport() async throws {
        try await TestApp.with { t in
            let before = try await CalendarStore.exceptions(year: 2026, on: t.db)
            let yaml = """
                2026:
                  holidays:
                    - {name: 元旦, from: 2026-01-01, to: 2026-01-01}
                    - {name: 春节, from: 2026-02-15, to: 2026-02-30}
                  workdays: []
                """
            do {
                _ = try await CalendarStore.importYAML(yaml, on: t.db, actor: .system(), time: t.time)
                Issue.record("import should fail")
            } catch let failure as ValidationFailure {
                #expect(failure.errors.map(\.field) == ["2026.holidays[1].to"])
            }
            #expect(try await CalendarStore.exceptions(year: 2026, on: t.db) == before)
        }
    }

    @Test("a calendar file with a date twice, a range across years or a huge range is refused")
    func badCalendarShapes() throws {
        for yaml in ["2027:\n  holidays:\n    - {name: 元旦, from: 2027-01-01, to: 2027-01-03}\n  workdays: [2027-01-02]\n",
                     "2027:\n  holidays:\n    - {name: 元旦, from: 2026-12-31, to: 2027-01-01}\n",
                     "2027:\n  holidays:\n    - {name: 长假, from: 2027-01-01, to: 2027-12-31}\n"] {
            #expect(throws: ValidationFailure.self) { _ = try HolidayData.parse(yaml) }
        }
    }

    @Test("importing a new year's arrangement makes its days count")
    func importYear() async throws {
        try await TestApp.with { t in
            let n = try await CalendarStore.importYAML("""
                2027:
                  holidays:
                    - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
                  workdays: [2027-01-09]
                """, on: t.db, actor: .system("cli"), time: t.time)
            #expect(n == 4)
            let calendar = try await CalendarStore.calendar(on: t.db)
            #expect(calendar.addingWorkingDays(1, to: LocalDate(iso: "2026-12-31")!) == LocalDate(iso: "2027-01-04")!)
            let entry = try await AuditEntry.query(on: t.db).sort(\.$id, .descending).first()
            #expect(entry?.action == "calendar.import")
        }
    }
}
