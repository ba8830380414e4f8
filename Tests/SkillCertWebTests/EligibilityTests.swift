import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Eligibility check")
struct EligibilityTests {
    static var failing三级: [String: Any] { [
        "asOf": "2026-11-27", "birthDate": "1995-03-02", "apprenticeshipCompleted": false, "intendsToWork": true,
        "work": [["relation": "same", "from": "2016-07-01", "to": NSNull()]],
        "certificates": [["kind": "skill-level", "relation": "same", "level": 4, "issuedOn": "2023-09-30"]],
        "education": [["type": "secondary-vocational", "majorRelation": "related", "status": "graduated", "assessed": false,
                       "graduatedOn": "2016-06-30"]],
        "titles": [] as [Any],
    ] }

    func request(_ profile: Any, code: String = "6-31-01-03", edition: String = "2018", level: Int = 3) -> [String: Any] {
        ["occupationCode": code, "edition": edition, "level": level, "profile": profile]
    }

    @Test("the API explains a failing 三级 电工 decision alternative by alternative")
    func apiDecision() async throws {
        try await TestApp.with { t in
            try await t.createUser("exams", roles: [.examAffairs])
            let c = try t.client()
            try await c.apiSignIn("exams")
            let r = try await c.json(.POST, "/api/v1/eligibility/check", request(Self.failing三级))
            #expect(r.status == .ok)
            #expect(r.object["eligible"] as? Bool == false)
            #expect(r.object.keys.contains("matchedAlternative"))
            #expect(r.object["matchedAlternative"] is NSNull)
            let alternatives = try #require(r.object["alternatives"] as? [[String: Any]])
            #expect(alternatives.count == 4)
            let first = try #require(alternatives.first)
            #expect(first["index"] as? Int == 1)
            let unmet = try #require(first["unmet"] as? [[String: String]])
            #expect(unmet == [["condition": "四级证书后本职业工作年限", "required": "60 个月", "actual": "37 个月"]])

            // The same person qualifies for 四级 by six years' work, alternative 2.
            let four = try await c.json(.POST, "/api/v1/eligibility/check", request(Self.failing三级, level: 4))
            #expect(four.object["eligible"] as? Bool == true)
            #expect(four.object["matchedAlternative"] as? Int == 2)
        }
    }

    @Test("bad input is a 4xx naming the JSON path of the offending field", arguments: [
        ("unknown occupation", "occupationCode", "unknown_occupation"),
        ("unknown edition", "edition", "unknown_edition"),
        ("level not offered", "level", "level_not_offered"),
        ("impossible date", "profile.work[0].from", "invalid_date"),
        ("malformed date", "profile.birthDate", "invalid_date"),
        ("period ends before it starts", "profile.work[0].to", "range_reversed"),
        ("certificate issued in the future", "profile.certificates[0].issuedOn", "in_future"),
        ("unknown school type", "profile.education[0].type", "unknown_value"),
        ("unknown relation", "profile.certificates[0].relation", "unknown_value"),
        ("wrong type", "profile.work[0].from", "invalid_type"),
    ])
    func badInput(_ name: String, _ field: String, _ code: String) async throws {
        try await TestApp.with { t in
            try await t.createUser("exams", roles: [.examAffairs])
            let c = try t.client()
            try await c.apiSignIn("exams")
            var profile = Self.failing三级
            var body = request(profile)
            switch name {
            case "unknown occupation": body["occupationCode"] = "9-99-99-99"
            case "unknown edition": body["edition"] = "2019"
            case "level not offered": body = request(profile, code: "4-07-03-02", edition: "2019", level: 5)
            case "impossible date": profile["work"] = [["relation": "same", "from": "2026-02-30", "to": NSNull()]]
            case "malformed date": profile["birthDate"] = "1995/03/02"
            case "period ends before it starts": profile["work"] = [["relation": "same", "from": "2020-01-01", "to": "2019-12-31"]]
            case "certificate issued in the future":
                profile["certificates"] = [["kind": "skill-level", "relation": "same", "level": 4, "issuedOn": "2027-01-01"]]
            case "unknown school type":
                profile["education"] = [["type": "university", "majorRelation": "same", "status": "graduated"]]
            case "unknown relation":
                profile["certificates"] = [["kind": "skill-level", "relation": "cousin", "level": 4, "issuedOn": "2020-01-01"]]
            case "wrong type": profile["work"] = [["relation": "same", "from": 20200101]]
            default: break
            }
            if body["profile"] as? [String: Any] != nil, !["unknown occupation", "unknown edition", "level not offered"].contains(name) {
                body["profile"] = profile
            }
            let r = try await c.json(.POST, "/api/v1/eligibility/check", body)
            #expect((400..<500).contains(Int(r.status.code)), "\(name): \(r.status)")
            #expect(r.errorField == field, "\(name): \(r.text)")
            #expect(r.errorCode == code, "\(name): \(r.text)")
        }
    }

    @Test("the staff page shows the explained decision for a pasted profile")
    func page() async throws {
        try await TestApp.with { t in
            try await t.createUser("exams", roles: [.examAffairs])
            let c = try t.client()
            try await c.signIn("exams")
            let form = try await c.get("/eligibility")
            #expect(form.status == .ok)
            let standard = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db)
            let json = String(decoding: try JSONSerialization.data(withJSONObject: Self.failing三级), as: UTF8.self)
            let r = try await c.postForm("/eligibility", [("standard", try standard.requireID().uuidString), ("level", "3"),
                                                          ("mode", "json"), ("profileJSON", json)])
            #expect(r.status == .ok)
            #expect(r.text.contains("不符合申报条件"))
            #expect(r.text.contains("四级证书后本职业工作年限：37 / 60 个月"))
            let bad = try await c.postForm("/eligibility", [("standard", try standard.requireID().uuidString), ("level", "3"),
                                                            ("mode", "json"), ("profileJSON", "{\"asOf\": \"2026-13-01\"}")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("profile.asOf"))

            // The same profile filled in on the form, with empty rows left over, gives the same decision.
            let filled = try await c.postForm("/eligibility", [
                ("standard", try standard.requireID().uuidString), ("level", "3"), ("mode", "form"), ("asOf", "2026-11-27"),
                ("work[0][relation]", "same"), ("work[0][from]", "2016-07-01"), ("work[0][to]", ""),
                ("work[1][relation]", "same"), ("work[1][from]", ""), ("work[1][to]", ""),
                ("certificates[0][kind]", "skill-level"), ("certificates[0][relation]", "same"), ("certificates[0][level]", "4"),
                ("certificates[0][issuedOn]", "2023-09-30"),
                ("certificates[1][kind]", "skill-level"), ("certificates[1][relation]", "same"), ("certificates[1][level]", ""),
                ("certificates[1][issuedOn]", ""),
                ("education[0][type]", "secondary-vocational"), ("education[0][majorRelation]", "related"),
                ("education[0][status]", "graduated"), ("education[0][graduatedOn]", "2016-06-30"),
            ])
            #expect(filled.status == .ok)
            #expect(filled.text.contains("四级证书后本职业工作年限：37 / 60 个月"))
            let reversed = try await c.postForm("/eligibility", [
                ("standard", try standard.requireID().uuidString), ("level", "3"), ("mode", "form"), ("asOf", "2026-11-27"),
                ("work[0][relation]", "same"), ("work[0][from]", "2020-01-01"), ("work[0][to]", "2019-01-01"),
            ])
            #expect(reversed.status == .unprocessableEntity)
            #expect(reversed.text.contains("profile.work[0].to"))
        }
    }

    @Test("standards pages: browse, see the element table, import a draft and put it in use")
    func standardsPages() async throws {
        try await TestApp.with { t in
            try await t.createUser("items", roles: [.itemExaminer])
            let c = try t.client()
            try await c.signIn("items")
            let list = try await c.get("/standards")
            #expect(list.text.contains("劳动关系协调员") && list.text.contains("人工智能训练师"))
            let row = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db)
            let id = try row.requireID()
            let detail = try await c.get("/standards/\(id)")
            #expect(detail.text.contains("鉴定要素细目表"))
            #expect(detail.text.contains("三级/高级工"))
            let yaml = try await c.get("/standards/\(id)/export.yaml")
            #expect(yaml.text.contains("code: 6-31-01-03"))
            #expect(yaml.headers.first(name: .contentDisposition)?.contains("6-31-01-03-2018.yaml") == true)
            // An edition in use has no editor.
            #expect(try await c.get("/standards/\(id)/edit").status == .conflict)
            let copy = yaml.text.replacingOccurrences(of: "edition: '2018'", with: "edition: '2027'")
            let imported = try await c.postForm("/standards/import", [("yaml", copy)])
            #expect(imported.status == .seeOther)
            let draft = try await StandardStore.find(code: "6-31-01-03", edition: "2027", on: t.db)
            #expect(draft.statusValue == .draft)
            let broken = try await c.postForm("/standards/import", [("yaml", copy.replacingOccurrences(of: "minutes: 90", with: "minutes: -5"))])
            #expect(broken.status == .unprocessableEntity)
            #expect(broken.text.contains("levels[0].parts[0].minutes"))
            let activated = try await c.postForm("/standards/\(try draft.requireID())/status", [("to", "in-use")])
            #expect(activated.status == .seeOther)
            #expect(try await StandardStore.find(code: "6-31-01-03", edition: "2027", on: t.db).statusValue == .inUse)
            // A reader from another department sees the standards but cannot import.
            try await t.createUser("certs", roles: [.certificate])
            let reader = try t.client()
            try await reader.signIn("certs")
            #expect(try await reader.get("/standards/\(id)").status == .ok)
            #expect(try await reader.postForm("/standards/import", [("yaml", copy)]).status == .forbidden)
        }
    }
}
