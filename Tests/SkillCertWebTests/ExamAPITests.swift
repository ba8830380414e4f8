import FluentKit
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import Vapor

@Suite("Exam API and invigilator console")
struct ExamAPITests {
    @Test("the exam API: sign-in, paper without keys, sequenced saves, submission, and staff reading the stored answers")
    func examAPI() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 2, password: "2468")
            exam.at(minutes: 2, t)
            let client = try t.client()
            let refused = try await client.json(.POST, "/api/v1/exam/login", ["ticketNumber": exam.logins[0].ticket, "idNumber": exam.logins[0].idNumber])
            #expect(refused.status == .forbidden && refused.text.contains("wrong_session_password"))
            let login = try await client.json(.POST, "/api/v1/exam/login", ["ticketNumber": exam.logins[0].ticket, "idNumber": exam.logins[0].idNumber,
                                                                           "sessionPassword": "2468"])
            #expect(login.status == .ok)
            let token = try #require(login.object["token"] as? String)
            let attemptID = try #require(login.object["attemptId"] as? String)

            client.bearer = (token.hasPrefix("0") ? "1" : "0") + String(token.dropFirst())
            #expect(try await client.get("/api/v1/exam/attempt").status == .unauthorized)
            client.bearer = token
            let paper = try await client.get("/api/v1/exam/attempt")
            #expect(paper.status == .ok && paper.object["status"] as? String == "in-progress")
            let items = try #require(paper.object["items"] as? [[String: Any]])
            #expect(items.count == 4 && !paper.text.contains("acceptedAnswers") && !paper.text.contains("\"correct\""))

            let single = exam.content.entries[0].itemID.uuidString
            let path = "/api/v1/exam/attempt/answers/\(single)"
            let first = try await client.json(.PUT, path, ["response": ["1"], "seq": 1])
            #expect(first.status == .ok && first.object["result"] as? String == "stored")
            #expect(first.object["seq"] as? Int == 1 && (first.object["remainingSeconds"] as? Int ?? 0) > 0 && first.object["paused"] as? Bool == false)
            #expect(first.headers.first(name: .contentType)?.hasPrefix("application/json") == true)
            #expect(try await client.json(.PUT, path, ["response": ["1"], "seq": 1]).object["result"] as? String == "duplicate")
            #expect(try await client.json(.PUT, path, ["response": ["2"], "seq": 0]).object["result"] as? String == "stale")
            // The content type is matched without regard to case, spaces or parameters; anything else is refused.
            let shouted = try await client.send(.PUT, path, body: #"{"response":["1"],"seq":2}"#, contentType: " Application/JSON ;charset=UTF-8")
            #expect(shouted.status == .ok && shouted.object["result"] as? String == "stored")
            let plain = try await client.send(.PUT, path, body: #"{"response":["1"],"seq":3}"#, contentType: "text/plain")
            #expect(plain.status == .unsupportedMediaType && plain.errorCode == "unsupported_media_type")
            let prefixed = try await client.send(.PUT, path, body: #"{"response":["1"],"seq":3}"#, contentType: "application/jsonx")
            #expect(prefixed.status == .unsupportedMediaType)
            let wrongType = try await client.json(.PUT, path, ["response": "1", "seq": 4])
            #expect(wrongType.status == .badRequest && wrongType.text.contains("response"))
            let negative = try await client.json(.PUT, path, ["response": ["1"], "seq": -1])
            #expect(negative.status == .unprocessableEntity && negative.text.contains("seq"))
            #expect(try await client.json(.PUT, "/api/v1/exam/attempt/answers/\(UUID().uuidString)", ["response": ["1"], "seq": 5]).status == .notFound)
            let tf = exam.content.entries[2].itemID.uuidString
            #expect(try await client.json(.PUT, "/api/v1/exam/attempt/answers/\(tf)", ["response": ["1"], "seq": 6]).status == .ok)

            let submitted = try await client.send(.POST, "/api/v1/exam/attempt/submit")
            #expect(submitted.status == .ok && submitted.object["status"] as? String == "submitted" && submitted.object["score"] == nil)
            let late = try await client.json(.PUT, path, ["response": ["0"], "seq": 7])
            #expect(late.status == .conflict && late.text.contains("attempt_closed"))

            // Staff see every stored answer with its grading; candidates and anonymous callers do not.
            try await t.createUser("exams2", roles: [.examAffairs])
            let staff = try t.client()
            try await staff.apiSignIn("exams2")
            let stored = try await staff.get("/api/v1/attempts/\(attemptID)")
            #expect(stored.status == .ok && stored.object["score"] as? Double == 60)
            let answers = try #require(stored.object["answers"] as? [[String: Any]])
            #expect(answers.count == 2 && answers.contains { $0["itemId"] as? String == single && ($0["response"] as? [String]) == ["1"] && $0["seq"] as? Int == 2 })
            #expect(try await t.client().get("/api/v1/attempts/\(attemptID)").status == .unauthorized)

            // The OpenAPI document lists the exam interface under its names.
            let openapi = try await t.client().get("/api/v1/openapi.json")
            for route in ["/api/v1/exam/login", "/api/v1/exam/attempt", "/api/v1/exam/attempt/answers/{itemId}", "/api/v1/exam/attempt/submit",
                          "/api/v1/attempts/{attemptId}"] {
                #expect(openapi.text.contains("\"\(route)\""), "missing \(route)")
            }
        }
    }

    @Test("the console shows each seat's state; an invigilator pauses and extends with a reason, and authorises a resume")
    func console() async throws {
        try await TestApp.with { t in
            let exam = try await ComputerExam.make(t, candidates: 2)
            exam.at(minutes: 1, t)
            let candidate = try t.client()
            let login = try await candidate.json(.POST, "/api/v1/exam/login", ["ticketNumber": exam.logins[1].ticket, "idNumber": exam.logins[1].idNumber])
            let attemptID = try #require(login.object["attemptId"] as? String)
            candidate.bearer = login.object["token"] as? String
            _ = try await candidate.get("/api/v1/exam/attempt")
            let item = exam.content.entries[0].itemID.uuidString
            #expect(try await candidate.json(.PUT, "/api/v1/exam/attempt/answers/\(item)", ["response": ["1"], "seq": 1]).status == .ok)

            let invigilator = exam.fixture.examiners[0]
            let c = try t.client()
            try await c.signIn(invigilator.username)
            let detail = try await c.get("/sessions/\(exam.sessionID.uuidString)")
            #expect(detail.text.contains("/sessions/\(exam.sessionID.uuidString)/console") && detail.text.contains("已启封"))
            let page = try await c.get("/sessions/\(exam.sessionID.uuidString)/console")
            #expect(page.status == .ok && page.text.contains("作答中") && page.text.contains("未登录"))
            // The last save in China time: the session started at 09:00, the answer came a minute later.
            #expect(page.text.contains("2027-01-10 09:01"))
            let noReason = try await c.postForm("/sessions/\(exam.sessionID.uuidString)/console/\(attemptID)", [("action", "pause"), ("reason", "")])
            #expect(noReason.status == .unprocessableEntity)
            let paused = try await c.postForm("/sessions/\(exam.sessionID.uuidString)/console/\(attemptID)", [("action", "pause"), ("reason", "考生身体不适")])
            #expect(paused.status == .seeOther)
            #expect(try await candidate.get("/api/v1/exam/attempt").object["paused"] as? Bool == true)
            #expect(try await c.get("/sessions/\(exam.sessionID.uuidString)/console").text.contains("已暂停"))
            _ = try await c.postForm("/sessions/\(exam.sessionID.uuidString)/console/\(attemptID)", [("action", "resume"), ("reason", "已恢复")])
            let before = try #require(try await candidate.get("/api/v1/exam/attempt").object["remainingSeconds"] as? Int)
            _ = try await c.postForm("/sessions/\(exam.sessionID.uuidString)/console/\(attemptID)", [("action", "extend"), ("minutes", "10"), ("reason", "停电补时")])
            #expect(try await candidate.get("/api/v1/exam/attempt").object["remainingSeconds"] as? Int == before + 600)

            // Another machine: refused until the invigilator authorises it, then the old client is signed out.
            let other = try t.client()
            let second = try await other.json(.POST, "/api/v1/exam/login", ["ticketNumber": exam.logins[1].ticket, "idNumber": exam.logins[1].idNumber])
            #expect(second.status == .conflict && second.text.contains("resume_needs_invigilator"))
            _ = try await c.postForm("/sessions/\(exam.sessionID.uuidString)/console/\(attemptID)", [("action", "allow-resume"), ("reason", "换至 3 号机")])
            #expect(try await other.json(.POST, "/api/v1/exam/login", ["ticketNumber": exam.logins[1].ticket, "idNumber": exam.logins[1].idNumber]).status == .ok)
            #expect(try await candidate.get("/api/v1/exam/attempt").status == .unauthorized)
            let actions = try await AuditEntry.query(on: t.db).filter(\.$targetID == attemptID).all().map(\.action)
            #expect(Set(actions).isSuperset(of: ["exam.pause", "exam.unpause", "exam.extend", "exam.allow-resume", "exam.resume"]))

            // A candidate account may not open the console.
            let stranger = try t.client()
            try await t.createUser("someone", roles: [.candidate])
            try await stranger.signIn("someone")
            #expect(try await stranger.get("/sessions/\(exam.sessionID.uuidString)/console").status == .forbidden)
        }
    }
}
