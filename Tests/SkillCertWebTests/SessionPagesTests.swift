import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Sessions, tickets and staffing pages")
struct SessionPagesTests {
    /// Decodes the QR codes on page 1 of a PDF: pdftoppm renders it, zbarimg reads it.
    static func qrCodes(in pdf: Data) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ticket-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try pdf.write(to: folder.appendingPathComponent("t.pdf"))
        let pdftoppm = try #require(Repository.tool("pdftoppm"), "pdftoppm (poppler-utils) is needed")
        let zbarimg = try #require(Repository.tool("zbarimg"), "zbarimg (zbar-tools) is needed")
        let render = try Repository.run(pdftoppm, ["-r", "150", "-png", "-f", "1", "-l", "1", "-singlefile",
                                                   folder.appendingPathComponent("t.pdf").path, folder.appendingPathComponent("p").path])
        #expect(render.status == 0, "\(render.output)")
        let scan = try Repository.run(zbarimg, ["--raw", "-q", "--nodbus", folder.appendingPathComponent("p.png").path])
        return scan.output.split(whereSeparator: \.isNewline).map(String.init)
    }

    static func pdfText(_ pdf: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("record-\(UUID().uuidString).pdf")
        defer { try? FileManager.default.removeItem(at: url) }
        try pdf.write(to: url)
        let pdftotext = try #require(Repository.tool("pdftotext"), "pdftotext (poppler-utils) is needed")
        return try Repository.run(pdftotext, [url.path, "-"]).output
    }

    @Test("exam affairs seats candidates and prints tickets whose QR code reads back as the ticket number; the candidate downloads theirs")
    func ticketsWithQR() async throws {
        try await TestApp.with { t in
            let f = try await ExamFixture.make(t, employers: ["甲公司", "乙公司", "丙学校"])
            let s = try await f.session(t, rooms: [f.rooms[0]])
            let clerk = try t.client()
            try await clerk.signIn("exams")
            let seated = try await clerk.postForm("/sessions/\(s.id!.uuidString)/seats", [("seed", "11")])
            #expect(seated.status == .seeOther)
            let page = try await clerk.get("/sessions/\(s.id!.uuidString)")
            #expect(page.text.contains("考生0") && page.text.contains("320102********"))
            let batch = try await clerk.get("/sessions/\(s.id!.uuidString)/tickets.pdf")
            #expect(batch.status == .ok && batch.headers.first(name: .contentType) == "application/pdf")
            let numbers = try await AdmissionTicketRecord.query(on: t.db).all().map(\.number)
            let first = try Self.qrCodes(in: Data(buffer: batch.body))
            #expect(first.count == 1 && numbers.contains(first[0]))

            // The candidate signs in and downloads their own ticket; another candidate's is not theirs to see.
            let cand = try t.client()
            try await cand.signIn("cand0")
            let mine = try #require(try await AdmissionTicketRecord.query(on: t.db).filter(\.$candidateID == f.candidates[0]).first())
            #expect(try await cand.get("/me/tickets").text.contains(mine.number))
            let pdf = try await cand.get("/me/tickets/\(mine.number)")
            #expect(pdf.status == .ok)
            #expect(try Self.qrCodes(in: Data(buffer: pdf.body)) == [mine.number])
            let other = try #require(numbers.first { $0 != mine.number })
            #expect(try await cand.get("/me/tickets/\(other)").status == .notFound)

            // Check-in by the scanned number.
            let checked = try await clerk.postForm("/sessions/\(s.id!.uuidString)/check-in", [("ticket", mine.number)])
            #expect(checked.status == .ok && checked.text.contains("已签到") && checked.text.contains("考生0"))
            let sheet = try await clerk.get("/sessions/\(s.id!.uuidString)/sign-in.pdf")
            #expect(sheet.status == .ok && Data(buffer: sheet.body).starts(with: Data("%PDF".utf8)))

            // An incident with its evidence, then the room record lists attendance and the incident.
            let bad = try await clerk.postMultipart("/sessions/\(s.id!.uuidString)/records", fields: [("kind", "incident"), ("ticket", mine.number),
                                                    ("text", "携带手机进入考场"), ("decision", "本科目成绩无效")],
                                                    files: [("evidence", "手机.zip", "image/png", Data("PK\u{3}\u{4}".utf8))])
            #expect(bad.status == .unprocessableEntity)
            let recorded = try await clerk.postMultipart("/sessions/\(s.id!.uuidString)/records", fields: [("kind", "incident"), ("ticket", mine.number),
                                                         ("text", "携带手机进入考场"), ("decision", "本科目成绩无效")],
                                                         files: [("evidence", "手机.png", "image/png", Fixtures.png(width: 20, height: 20))])
            #expect(recorded.status == .seeOther)
            let incident = try #require(try await SkillCertPersistence.SessionRecord.query(on: t.db).first())
            let evidence = try await clerk.get("/sessions/\(s.id!.uuidString)/records/\(incident.id!.uuidString)/evidence")
            #expect(evidence.headers.first(name: .contentType) == "image/png")
            let roomRecord = try await clerk.get("/sessions/\(s.id!.uuidString)/room-record.pdf")
            let text = try Self.pdfText(Data(buffer: roomRecord.body))
            #expect(text.contains("考场记录") && text.contains("携带手机进入考场") && text.contains("本科目成绩无效"))
        }
    }

    @Test("the session page says which candidate blocks which examiner and why; assigning them is refused with the reason")
    func recusalShown() async throws {
        try await TestApp.with { t in
            let f = try await ExamFixture.make(t, employers: ["考评单位3", "乙公司"])
            let s = try await f.session(t, mode: .practical, rooms: [f.rooms[0]])
            let clerk = try t.client()
            try await clerk.signIn("exams")
            let page = try await clerk.get("/sessions/\(s.id!.uuidString)")
            #expect(page.text.contains("须回避") && page.text.contains("与考生考生0"))
            let refused = try await clerk.postForm("/sessions/\(s.id!.uuidString)/staff", [("userID", f.examiners[2].id.uuidString),
                                                                                         ("role", "examiner"), ("roomID", f.rooms[0].id!.uuidString)])
            #expect(refused.status == .forbidden && refused.text.contains("考评员3须回避") && refused.text.contains("考评单位3"))
            let drawn = try await clerk.postForm("/sessions/\(s.id!.uuidString)/draw", [("drawRole", "examiner"), ("drawRoomID", f.rooms[0].id!.uuidString),
                                                                                      ("count", "3"), ("drawSeed", "2026")])
            #expect(drawn.status == .seeOther)
            let after = try await clerk.get("/sessions/\(s.id!.uuidString)")
            #expect(after.text.contains("seed 2026") && after.text.contains("每个场次至少需要 1 名督导员"))
        }
    }

    @Test("GET /api/v1/sessions/{id}/candidates lists ticket, name, full ID, room and seat for exam affairs only, audited")
    func apiCandidates() async throws {
        try await TestApp.with { t in
            let f = try await ExamFixture.make(t, employers: ["甲公司", "乙公司"])
            let s = try await f.session(t, rooms: [f.rooms[0]])
            try await SessionStore.allocateSeats(sessionID: s.id!, seed: 1, actor: f.staff.actor, on: t.db, time: t.time)
            let api = try t.client()
            try await api.apiSignIn("exams")
            struct Row: Decodable { var ticketNumber: String; var name: String; var idNumber: String; var room: String; var seat: Int }
            let rows = try await api.get("/api/v1/sessions/\(s.id!.uuidString)/candidates").json([Row].self)
            #expect(rows.count == 2 && rows.allSatisfy { TicketNumber.isValid($0.ticketNumber) && $0.room == "第1考场" })
            #expect(Set(rows.map(\.idNumber)) == Set([0, 1].map { ResidentID.completing("32010219900101" + String(format: "%03d", $0))! }))
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "session.candidates-read").count() == 1)
            let examiner = try t.client()
            try await examiner.apiSignIn("examiner1")
            #expect(try await examiner.get("/api/v1/sessions/\(s.id!.uuidString)/candidates").status == .forbidden)
        }
    }
}
