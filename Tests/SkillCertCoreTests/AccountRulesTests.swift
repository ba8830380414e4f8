import Foundation
import Testing
@testable import SkillCertCore

@Suite("Account rules")
struct AccountRulesTests {
    @Test("password policy names each problem")
    func passwords() {
        #expect(PasswordPolicy.problems("Short-1", username: "zhang").map(\.code) == ["password_too_short"])
        #expect(PasswordPolicy.problems("onlyletterslong", username: "zhang").map(\.code) == ["password_too_simple"])
        #expect(PasswordPolicy.problems("zhangwei-2026", username: "zhangwei").map(\.code) == ["password_contains_username"])
        #expect(PasswordPolicy.problems("Exam-Affairs-9", username: "zhang").isEmpty)
    }

    @Test("usernames are lower-case ASCII starting with a letter")
    func usernames() {
        #expect(PasswordPolicy.usernameProblems("exams").isEmpty)
        #expect(!PasswordPolicy.usernameProblems("Exams").isEmpty)
        #expect(!PasswordPolicy.usernameProblems("1exams").isEmpty)
        #expect(!PasswordPolicy.usernameProblems("张伟").isEmpty)
        #expect(!PasswordPolicy.usernameProblems("ab").isEmpty)
    }

    @Test("the fifth consecutive failure locks the account for the configured time")
    func lockout() {
        let rule = LoginLockout(maxFailures: 5, lockFor: 900)
        let now = Date(timeIntervalSince1970: 0)
        #expect(rule.fail(previousFailures: 3, at: now) == .counted(failures: 4))
        #expect(rule.fail(previousFailures: 4, at: now) == .locked(until: now + 900, failures: 5))
        #expect(LoginLockout.isLocked(until: now + 900, at: now + 899))
        #expect(!LoginLockout.isLocked(until: now + 900, at: now + 900))
        #expect(!LoginLockout.isLocked(until: nil, at: now))
    }

    @Test("access declarations")
    func access() {
        #expect(Access.everyone.allows(nil))
        #expect(!Access.signedIn.allows(nil))
        #expect(Access.signedIn.allows([]))
        let admin = Access.anyOf([.administrator])
        #expect(admin.allows([.administrator, .examiner]))
        #expect(!admin.allows([.leadership]))
        #expect(!admin.allows(nil))
    }

    @Test("a body with bad codes gets one error per field, naming the site row")
    func body() {
        let body = CertificationBody(type: .employer, code: "12A", name: " ", provinceCode: "99",
                                     sites: [.init(code: "32010", name: "A", address: "x"),
                                             .init(code: "320102", name: "B", address: "y"),
                                             .init(code: "320102", name: "C", address: "z")])
        let fields = body.problems(knownProvinces: ["32"]).map(\.field)
        #expect(fields.contains("name"))
        #expect(fields.contains("code"))
        #expect(fields.contains("provinceCode"))
        #expect(fields.contains("sites[0].code"))
        #expect(fields.contains("sites[2].code"))
        #expect(!fields.contains("sites[1].code"))
    }
}
