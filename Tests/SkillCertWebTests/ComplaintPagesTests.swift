import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Complaints")
struct ComplaintPagesTests {
    static func reference(in text: String) throws -> String? {
        try text.firstMatch(of: Regex("TS[0-9]{8}-[0-9]{3}[A-Z0-9]{4}")).map { String(text[$0.range]) }
    }

    @Test("a public complaint gets a reference; the lookup shows the reply once staff answer, and only with the right contact")
    func publicIntakeAndLookup() async throws {
        try await TestApp.with { t in
            // setup: a visitor without an account
            let visitor = try t.client()
            _ = try await visitor.get("/complaints/new")
            // MUT
            let submitted = try await visitor.postForm("/complaints/new", [
                ("category", "appeal"), ("subject", "理论成绩有误"), ("text", "我的理论成绩与估分相差很大，请复核。"),
                ("complainantName", "王小明"), ("contact", "13800138000"),
            ])
            // validate
            #expect(submitted.status == .ok, "\(submitted.text.prefix(2000))")
            let ref = try #require(try Self.reference(in: submitted.text))
            let waiting = try await visitor.get("/complaints/status?ref=\(ref)&contact=13800138000")
            #expect(waiting.text.contains("理论成绩有误") && waiting.text.contains("已受理") && !waiting.text.contains("id=\"reply\""))
            let stranger = try await visitor.get("/complaints/status?ref=\(ref)&contact=13900139000")
            #expect(!stranger.text.contains("理论成绩有误") && stranger.text.contains("未找到"))

            try await t.createUser("quality", roles: [.supervision])
            let staff = try t.client()
            try await staff.signIn("quality")
            let complaint = try #require(try await StoredComplaint.query(on: t.db).filter(\.$reference == ref).first())
            let answered = try await staff.postForm("/complaints/\(complaint.id!.uuidString)/answer",
                                                    [("outcome", "not-upheld"), ("reply", "经复查，您的成绩计算无误。")])
            #expect(answered.status == .seeOther)

            let after = try await visitor.get("/complaints/status?ref=\(ref)&contact=13800138000")
            #expect(after.text.contains("经复查，您的成绩计算无误。") && after.text.contains("已答复"))
            let actions = try await AuditEntry.query(on: t.db).filter(\.$targetType == "complaint").all().map(\.action)
            #expect(actions.contains("complaint.receive") && actions.contains("complaint.answer"))

            // A form without a contact to look it up by is refused, with the field named.
            let noContact = try await visitor.postForm("/complaints/new", [("category", "complaint"), ("subject", "态度"), ("text", "……"),
                                                                           ("complainantName", "李"), ("contact", "")])
            #expect(noContact.status == .unprocessableEntity && noContact.text.contains("手机号码或电子邮箱"))
        }
    }

    @Test("a complaint is flagged overdue the day after its deadline of 15 working days, and not once answered")
    func overdue() async throws {
        try await TestApp.with { t in
            // setup
            try await t.createUser("leader", roles: [.leadership])
            let staff = try t.client()
            try await staff.signIn("leader")
            let taken = try await staff.postForm("/complaints", [("category", "complaint"), ("subject", "考评员态度粗暴"),
                                                                 ("text", "实操考核时考评员大声呵斥考生。"), ("complainantName", ""), ("contact", "")])
            #expect(taken.status == .seeOther)
            let complaint = try #require(try await StoredComplaint.query(on: t.db).first())
            let today = t.time.now().chinaLocalDate
            let calendar = try await CalendarStore.calendar(on: t.db)
            #expect(complaint.dueOn == calendar.addingWorkingDays(15, to: today).description)
            let flag = "badge bad overdue"

            // MUT: on the last day it is not overdue yet …
            let daysLeft = complaint.due.dayNumber - today.dayNumber
            t.time.advance(by: Double(daysLeft) * 86_400)
            try await staff.signIn("leader")  // the session has long expired
            var list = try await staff.get("/complaints?status=overdue")
            #expect(!list.text.contains(complaint.reference))
            #expect(!(try await staff.get("/complaints")).text.contains(flag))

            // … the day after it is.
            t.time.advance(by: 86_400)
            try await staff.signIn("leader")
            list = try await staff.get("/complaints?status=overdue")
            #expect(list.text.contains(complaint.reference) && list.text.contains(flag))

            // Answered late: no longer overdue.
            let answered = try await staff.postForm("/complaints/\(complaint.id!.uuidString)/answer",
                                                    [("outcome", "upheld"), ("reply", "已对该考评员进行批评教育。")])
            #expect(answered.status == .seeOther)
            list = try await staff.get("/complaints?status=overdue")
            #expect(!list.text.contains(complaint.reference))
            #expect(!(try await staff.get("/complaints")).text.contains(flag))
        }
    }

    @Test("only supervision, leadership and administrators see the register")
    func registerIsForManagers() async throws {
        try await TestApp.with { t in
            try await t.createUser("examiner", roles: [.examiner])
            try await t.createUser("certs", roles: [.certificate])
            try await t.createUser("admin", roles: [.administrator])
            let visitor = try t.client()
            _ = try await visitor.get("/complaints/new")
            _ = try await visitor.postForm("/complaints/new", [("category", "report"), ("subject", "有人代考"), ("text", "某考场疑似替考。"),
                                                              ("complainantName", "匿名群众"), ("contact", "tip@example.com")])
            for username in ["examiner", "certs"] {
                let c = try t.client()
                try await c.signIn(username)
                #expect(try await c.get("/complaints").status == .forbidden, "\(username)")
                #expect(try await c.get("/complaints/export.xlsx").status == .forbidden, "\(username)")
            }
            let anonymous = try await visitor.get("/complaints")
            #expect(anonymous.status == .seeOther && anonymous.location?.hasPrefix("/login") == true)
            let admin = try t.client()
            try await admin.signIn("admin")
            let list = try await admin.get("/complaints?q=" + "代考".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(list.status == .ok && list.text.contains("有人代考"))
            let xlsx = try await admin.get("/complaints/export.xlsx")
            #expect(xlsx.status == .ok && xlsx.headers.contentType?.subType.contains("spreadsheetml") == true)
        }
    }
}
