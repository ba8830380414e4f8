import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Sessions, seats, tickets and staffing")
struct SessionStoreTests {
    @Test("seats respect capacity and separate employers; every candidate gets one unique, valid ticket number")
    func seatsAndTickets() async throws {
        try await TestApp.with { t in
            let employers = (0..<12).map { ["甲公司", "甲公司", "乙公司", "丙学校"][$0 % 4] }
            let f = try await ExamFixture.make(t, employers: employers, roomSeats: [8, 8])
            let s = try await f.session(t)
            // MUT
            let seats = try await SessionStore.allocateSeats(sessionID: s.id!, seed: 7, actor: f.staff.actor, on: t.db, time: t.time)
            // validate
            #expect(seats.count == 12)
            for room in f.rooms { #expect(seats.filter { $0.roomID == room.id }.count <= 8) }
            let employerOf = Dictionary(uniqueKeysWithValues: try await StoredApplication.query(on: t.db).all().map { ($0.id!, $0.employer) })
            for room in f.rooms {
                let order = seats.filter { $0.roomID == room.id }.sorted { $0.seat < $1.seat }.map { employerOf[$0.applicationID]! }
                for (a, b) in zip(order, order.dropFirst()) { #expect(a != b) }
            }
            let tickets = try await AdmissionTicketRecord.query(on: t.db).all()
            #expect(tickets.count == 12 && Set(tickets.map(\.number)).count == 12 && tickets.allSatisfy { TicketNumber.isValid($0.number) })
            // Re-seating keeps the numbers.
            try await SessionStore.allocateSeats(sessionID: s.id!, seed: 8, actor: f.staff.actor, on: t.db, time: t.time)
            #expect(Set(try await AdmissionTicketRecord.query(on: t.db).all().map(\.number)) == Set(tickets.map(\.number)))
            // Too few seats: refused.
            let small = try await f.session(t, start: "14:00", rooms: [f.rooms[0]])
            await #expect(throws: DomainError.self) {
                try await SessionStore.allocateSeats(sessionID: small.id!, seed: 1, actor: f.staff.actor, on: t.db, time: t.time)
            }
        }
    }

    @Test("overlapping bookings are refused: rooms, candidates and staff")
    func overlaps() async throws {
        try await TestApp.with { t in
            let f = try await ExamFixture.make(t, employers: ["甲公司", "乙公司"])
            let morning = try await f.session(t, rooms: [f.rooms[0]])
            // The same room at an overlapping time.
            await #expect(throws: ValidationFailure.self) { _ = try await f.session(t, start: "10:00", rooms: [f.rooms[0]]) }
            // Another room at an overlapping time: the same candidates cannot sit both.
            let clash = try await f.session(t, mode: .practical, start: "10:00", rooms: [f.rooms[1]])
            try await SessionStore.allocateSeats(sessionID: morning.id!, seed: 1, actor: f.staff.actor, on: t.db, time: t.time)
            do {
                try await SessionStore.allocateSeats(sessionID: clash.id!, seed: 1, actor: f.staff.actor, on: t.db, time: t.time)
                Issue.record("a candidate was booked twice")
            } catch let DomainError.conflict(code, zh, _) {
                #expect(code == "candidate_double_booked" && zh.contains("考生"))
            }
            // A person on the morning session cannot serve in the overlapping one.
            try await SessionStore.assign(sessionID: morning.id!, userID: f.examiners[0].id, role: .invigilator, roomID: f.rooms[0].id,
                                          actor: f.staff.actor, on: t.db, time: t.time)
            do {
                try await SessionStore.assign(sessionID: clash.id!, userID: f.examiners[0].id, role: .examiner, roomID: f.rooms[1].id,
                                              actor: f.staff.actor, on: t.db, time: t.time)
                Issue.record("a person was booked twice")
            } catch let DomainError.conflict(code, _, _) {
                #expect(code == "staff_double_booked")
            }
            // Back to back is fine.
            let afternoon = try await f.session(t, start: "10:30", rooms: [f.rooms[0]])
            try await SessionStore.assign(sessionID: afternoon.id!, userID: f.examiners[0].id, role: .invigilator, roomID: f.rooms[0].id,
                                          actor: f.staff.actor, on: t.db, time: t.time)
        }
    }

    @Test("recusal: a declared relation or the same employer blocks an assignment, naming the candidate; the draw skips them")
    func recusal() async throws {
        try await TestApp.with { t in
            let f = try await ExamFixture.make(t, employers: ["甲公司", "考评单位2"])
            let s = try await f.session(t, mode: .practical, rooms: [f.rooms[0]])
            // Examiner 1 declared that 考生0 is a relative; examiner 2's own employer is 考生1's.
            try await RelationStore.declare(staff: f.examiners[0].actor, kind: .relative, idNumber: ResidentID.completing("32010219900101000")!,
                                            employer: "", note: "表兄弟", sealer: ExamFixture.sealer, on: t.db, time: t.time)
            do {
                try await SessionStore.assign(sessionID: s.id!, userID: f.examiners[0].id, role: .examiner, roomID: f.rooms[0].id,
                                              actor: f.staff.actor, on: t.db, time: t.time)
                Issue.record("a related examiner was assigned")
            } catch let DomainError.forbidden(code, zh, _) {
                #expect(code == "recusal" && zh.contains("考生0") && zh.contains("亲属") && zh.contains("320102********"))
            }
            let reasons = try await SessionStore.recusals(userID: f.examiners[1].id, sessionID: s.id!, on: t.db)
            #expect(reasons == ["与考生考生1（\(ResidentID.mask(ResidentID.completing("32010219900101001")!))）同属“考评单位2”"])
            // The draw of three examiners comes only from the four who need not recuse, and records its seed.
            let drawn = try await SessionStore.draw(sessionID: s.id!, role: .examiner, roomID: f.rooms[0].id, count: 3, seed: 99,
                                                    actor: f.staff.actor, on: t.db, time: t.time)
            #expect(drawn.count == 3 && !drawn.contains(f.examiners[0].id) && !drawn.contains(f.examiners[1].id))
            #expect(try await StaffAssignment.query(on: t.db).all().allSatisfy { $0.drawSeed == 99 })
            await #expect(throws: DomainError.self) {
                _ = try await SessionStore.draw(sessionID: s.id!, role: .examiner, roomID: f.rooms[0].id, count: 2, seed: 1,
                                                actor: f.staff.actor, on: t.db, time: t.time)
            }
        }
    }

    @Test("the standard's ratios: theory invigilators per room, an odd skills panel, a supervisor for every session")
    func ratios() async throws {
        try await TestApp.with { t in
            let f = try await ExamFixture.make(t, employers: (0..<20).map { "单位\($0)" }, roomSeats: [20, 20])
            let theory = try await f.session(t, rooms: [f.rooms[0]])
            try await SessionStore.allocateSeats(sessionID: theory.id!, seed: 3, actor: f.staff.actor, on: t.db, time: t.time)
            #expect(try await SessionStore.staffingProblems(sessionID: theory.id!, on: t.db).map(\.code) == ["understaffed", "no_supervisor"])
            for e in f.examiners.prefix(2) {
                try await SessionStore.assign(sessionID: theory.id!, userID: e.id, role: .invigilator, roomID: f.rooms[0].id,
                                              actor: f.staff.actor, on: t.db, time: t.time)
            }
            try await SessionStore.assign(sessionID: theory.id!, userID: f.supervisor.id, role: .supervisor, roomID: nil,
                                          actor: f.staff.actor, on: t.db, time: t.time)
            #expect(try await SessionStore.staffingProblems(sessionID: theory.id!, on: t.db).isEmpty)
            // A supervisor account cannot invigilate; an invigilator cannot be a supervisor.
            await #expect(throws: DomainError.self) {
                try await SessionStore.assign(sessionID: theory.id!, userID: f.examiners[2].id, role: .supervisor, roomID: nil,
                                              actor: f.staff.actor, on: t.db, time: t.time)
            }

            let skills = try await f.session(t, mode: .practical, start: "13:00", rooms: [f.rooms[1]])
            try await SessionStore.allocateSeats(sessionID: skills.id!, seed: 3, actor: f.staff.actor, on: t.db, time: t.time)
            for e in f.examiners.prefix(4) {
                try await SessionStore.assign(sessionID: skills.id!, userID: e.id, role: .examiner, roomID: f.rooms[1].id,
                                              actor: f.staff.actor, on: t.db, time: t.time)
            }
            try await SessionStore.assign(sessionID: skills.id!, userID: f.supervisor.id, role: .supervisor, roomID: nil,
                                          actor: f.staff.actor, on: t.db, time: t.time)
            // 20 candidates need 4 examiners, rounded up to an odd 5.
            let problems = try await SessionStore.staffingProblems(sessionID: skills.id!, on: t.db)
            #expect(problems.map(\.code) == ["understaffed"] && problems[0].messageZH.contains("至少 5 名考评员"))
        }
    }

    @Test("check-in by ticket number: a mistyped number, a ticket of another session, and attendance closing")
    func checkIn() async throws {
        try await TestApp.with { t in
            let f = try await ExamFixture.make(t, employers: ["甲公司", "乙公司", "丙学校"])
            let s = try await f.session(t, rooms: [f.rooms[0]])
            try await SessionStore.allocateSeats(sessionID: s.id!, seed: 5, actor: f.staff.actor, on: t.db, time: t.time)
            let number = try #require(try await AdmissionTicketRecord.query(on: t.db).sort(\.$number).first()?.number)
            let seat = try await SessionStore.checkIn(sessionID: s.id!, ticketNumber: number, actor: f.staff.actor, on: t.db, time: t.time)
            #expect(seat.attendance == "present")
            let wrong = String(number.dropLast()) + String((number.last!.wholeNumberValue! + 1) % 10)
            await #expect(throws: ValidationFailure.self) {
                _ = try await SessionStore.checkIn(sessionID: s.id!, ticketNumber: wrong, actor: f.staff.actor, on: t.db, time: t.time)
            }
            let other = try await f.session(t, start: "14:00", rooms: [f.rooms[1]])
            await #expect(throws: DomainError.self) {
                _ = try await SessionStore.checkIn(sessionID: other.id!, ticketNumber: number, actor: f.staff.actor, on: t.db, time: t.time)
            }
            #expect(try await SessionStore.closeAttendance(sessionID: s.id!, actor: f.staff.actor, on: t.db, time: t.time) == 2)
            try await SessionStore.record(sessionID: s.id!, kind: "incident", candidateTicket: number, text: "携带手机进入考场", decision: "本科目成绩无效",
                                          actor: f.staff.actor, on: t.db, time: t.time)
            #expect(try await SessionRecord.query(on: t.db).first()?.decision == "本科目成绩无效")
            let actions = Set(try await AuditEntry.query(on: t.db).filter(\.$targetType == "session").all().map(\.action))
            #expect(actions.isSuperset(of: ["session.create", "session.seats", "session.check-in", "session.attendance", "session.incident"]))
        }
    }
}
