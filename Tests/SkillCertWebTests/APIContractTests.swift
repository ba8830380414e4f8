import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
import Vapor

/// What the API fuzzing (tests/fuzz) found: answers whose status the OpenAPI document did not list.
@Suite("API statuses match the OpenAPI document")
struct APIContractTests {
    /// The statuses the document lists for one operation.
    static func documented(_ doc: TestResponse, _ method: String, _ path: String) -> Set<String> {
        let paths = doc.object["paths"] as? [String: [String: Any]] ?? [:]
        let op = paths[path]?[method] as? [String: Any] ?? [:]
        return Set((op["responses"] as? [String: Any] ?? [:]).keys)
    }

    @Test("every operation with a JSON body documents 400 (malformed JSON) and 415 (not JSON)")
    func jsonBodies() async throws {
        try await TestApp.with { t in
            let doc = try await t.client().get("/api/v1/openapi.json")
            let paths = try #require(doc.object["paths"] as? [String: [String: Any]])
            var checked = 0
            for (path, ops) in paths {
                for (method, raw) in ops {
                    let op = raw as? [String: Any] ?? [:]
                    let content = (op["requestBody"] as? [String: Any])?["content"] as? [String: Any] ?? [:]
                    guard content["application/json"] != nil else { continue }
                    checked += 1
                    let statuses = Set((op["responses"] as? [String: Any] ?? [:]).keys)
                    #expect(statuses.isSuperset(of: ["400", "415"]), "\(method.uppercased()) \(path) documents only \(statuses.sorted())")
                }
            }
            #expect(checked >= 8)
        }
    }

    @Test("the exam sign-in answers a body that is not JSON with 415 and broken JSON with 400, both documented")
    func examLoginBodies() async throws {
        try await TestApp.with { t in
            let client = try t.client()
            let doc = try await client.get("/api/v1/openapi.json")
            let statuses = Self.documented(doc, "post", "/api/v1/exam/login")

            let untyped = try await client.send(.POST, "/api/v1/exam/login")
            #expect(untyped.status == .unsupportedMediaType && untyped.errorCode == "unsupported_media_type")
            let form = try await client.send(.POST, "/api/v1/exam/login", body: "ticketNumber=1&idNumber=2",
                                             contentType: "application/x-www-form-urlencoded")
            #expect(form.status == .unsupportedMediaType)
            let array = try await client.send(.POST, "/api/v1/exam/login", body: "[null, null]", contentType: "application/json")
            #expect(array.status == .badRequest)
            for r in [untyped, form, array] {
                #expect(statuses.contains(String(r.status.code)), "\(r.status.code) not in \(statuses.sorted())")
            }
        }
    }

    @Test("score sheets: a missing task is a documented 400, and a submission that is not JSON a documented 415")
    func scoreSheetQueries() async throws {
        try await TestApp.with { t in
            try await t.createUser("chief-admin", roles: [.administrator])
            try await t.createUser("panel-examiner", roles: [.examiner])
            let admin = try t.client()
            try await admin.apiSignIn("chief-admin")
            let doc = try await admin.get("/api/v1/openapi.json")
            let path = "/api/v1/scoring/sessions/\(UUID().uuidString)/sheets"

            let missing = try await admin.get(path + "?candidateId=\(UUID().uuidString)")
            #expect(missing.status == .badRequest && missing.errorField == "item")
            #expect(Self.documented(doc, "get", "/api/v1/scoring/sessions/{id}/sheets").contains("400"))

            let examiner = try t.client()
            try await examiner.apiSignIn("panel-examiner")
            let untyped = try await examiner.send(.POST, path)
            #expect(untyped.status == .unsupportedMediaType && untyped.errorCode == "unsupported_media_type")
            #expect(Self.documented(doc, "post", "/api/v1/scoring/sessions/{id}/sheets").contains("415"))
        }
    }
}
