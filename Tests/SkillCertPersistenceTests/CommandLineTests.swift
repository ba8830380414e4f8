import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

/// Runs the real `skillcert` binary against this test's database, and tampers with the audit table from outside
/// the application with the engine's own command-line client (sqlite3 or psql).
@Suite("Command line against the database")
struct CommandLineTests {
    /// A test application whose database another process can open: a SQLite file, or the test's PostgreSQL database.
    static func withFileBackedApp(_ body: (TestApp, String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestApp.with(configure: { config in
            if !config.database.isPostgres {
                config.database = .sqliteFile(path: folder.appendingPathComponent("test.sqlite").path)
            }
        }) { t in
            try await body(t, try #require(t.databaseURL))
        }
    }

    @Test("`skillcert audit verify` passes, then fails naming the entry altered behind the application's back")
    func tamperDetected() async throws {
        try await Self.withFileBackedApp { t, url in
            // setup: a few audited changes
            for name in ["alpha", "bravo", "charlie"] {
                try await t.createUser(name, roles: [.examAffairs])
            }
            let env = ["DATABASE_URL": url]
            let total = try await AuditEntry.query(on: t.db).count()
            let target = try #require(try await AuditEntry.query(on: t.db).filter(\.$action == "user.create").sort(\.$id).all().dropFirst().first?.id)
            let ok = try Repository.run(Repository.binary, ["audit", "verify"], environment: env)
            #expect(ok.status == 0, "\(ok.output)")
            #expect(ok.output.contains("audit chain OK: \(total) entries"))

            // MUT: drop the guard and edit entry #2 with the engine's own client
            if t.target.isPostgres {
                let psql = try #require(Repository.tool("psql"), "psql is needed")
                let r = try Repository.run(psql, [url, "-v", "ON_ERROR_STOP=1", "-c",
                                                 "DROP TRIGGER audit_entries_no_update_delete ON audit_entries; UPDATE audit_entries SET details = 'roles: +administrator' WHERE id = \(target)"])
                #expect(r.status == 0, "\(r.output)")
            } else {
                let sqlite3 = try #require(Repository.tool("sqlite3"), "sqlite3 is needed")
                let r = try Repository.run(sqlite3, [url, "DROP TRIGGER audit_entries_no_update; UPDATE audit_entries SET details = 'roles: +administrator' WHERE id = \(target);"])
                #expect(r.status == 0, "\(r.output)")
            }

            // validate
            let broken = try Repository.run(Repository.binary, ["audit", "verify"], environment: env)
            #expect(broken.status == 1)
            #expect(broken.output.contains("BROKEN at entry #\(target)"), "\(broken.output)")
        }
    }

    @Test("`skillcert admin create` reads the password from standard input and is audited")
    func adminCreate() async throws {
        try await Self.withFileBackedApp { t, url in
            let env = ["DATABASE_URL": url, "SKILLCERT_BCRYPT_COST": "4"]
            let weak = try Repository.run(Repository.binary, ["admin", "create", "--username", "root2"],
                                          environment: env, input: "short\n")
            #expect(weak.status == 2)
            #expect(weak.output.contains("password"))

            let ok = try Repository.run(Repository.binary, ["admin", "create", "--username", "root2", "--name", "第二管理员"],
                                        environment: env, input: "Second-Admin-77\n")
            #expect(ok.status == 0, "\(ok.output)")

            let user = try #require(try await User.query(on: t.db).filter(\.$username == "root2").with(\.$roleAssignments).first())
            #expect(user.roles == [.administrator])
            #expect(user.displayName == "第二管理员")
            let entry = try await AuditEntry.query(on: t.db).filter(\.$action == "user.create")
                .filter(\.$targetID == user.id?.uuidString).first()
            #expect(entry?.actorName == "cli")

            let signIn = try await Accounts.signIn(username: "root2", password: "Second-Admin-77",
                                                   lockout: .init(maxFailures: 5, lockFor: 60),
                                                   hasher: t.app.skillcertPasswordHasher, on: t.db, time: t.time)
            guard case .success = signIn else { Issue.record("sign-in failed: \(signIn)"); return }
        }
    }

    @Test("`skillcert demo` loads sample data once and the audit chain of it verifies")
    func demo() async throws {
        try await Self.withFileBackedApp { t, url in
            let env = ["DATABASE_URL": url, "SKILLCERT_BCRYPT_COST": "4"]
            let first = try Repository.run(Repository.binary, ["demo"], environment: env)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.output.contains("admin / "))
            let second = try Repository.run(Repository.binary, ["demo"], environment: env)
            #expect(second.status == 0)
            #expect(second.output.contains("already existed"))
            #expect(try await User.query(on: t.db).count() == 1 + DemoData.accounts.count)
            let body = try await BodyStore.load(on: t.db)
            #expect(body?.sites.count == 2)
            #expect(body?.name.contains("示例") == true)
            let verify = try Repository.run(Repository.binary, ["audit", "verify"], environment: env)
            #expect(verify.status == 0)
        }
    }

    @Test("`skillcert import registrations` imports a CSV into a plan, and lists each problem of a bad file with exit 2")
    func importRegistrations() async throws {
        try await Self.withFileBackedApp { t, url in
            let planID = try await RegistrationImportTests.plan(t)
            let number = try #require(try await StoredPlan.find(planID, on: t.db)?.number)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-import-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let key = folder.appendingPathComponent("content.key")
            try Data(TestApp.contentKey.utf8).write(to: key)
            let env = ["DATABASE_URL": url, "SKILLCERT_CONTENT_KEY_FILE": key.path]
            func csv(_ rows: [[String]]) -> Data {
                Data((([RegistrationImportTests.header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n").utf8)
            }
            let bad = folder.appendingPathComponent("bad.csv")
            try csv([RegistrationImportTests.row(1), RegistrationImportTests.row(2, ["证件号码": "320102199001010011"])]).write(to: bad)
            let refused = try Repository.run(Repository.binary, ["import", "registrations", "--plan", number, bad.path], environment: env)
            #expect(refused.status == 2)
            #expect(refused.output.contains("row 3, 证件号码") && refused.output.contains("nothing was imported"), "\(refused.output)")
            let good = folder.appendingPathComponent("good.csv")
            try csv([RegistrationImportTests.row(1), RegistrationImportTests.row(2)]).write(to: good)
            let imported = try Repository.run(Repository.binary, ["import", "registrations", "--plan", number, good.path], environment: env)
            #expect(imported.status == 0, "\(imported.output)")
            #expect(imported.output.contains("imported 2 application(s)"))
            #expect(try await StoredApplication.query(on: t.db).count() == 2)
        }
    }
}

@Suite("Eligibility on the command line")
struct EligibilityCommandLineTests {
    static let failing = """
        {"asOf": "2026-11-27", "work": [{"relation": "same", "from": "2016-07-01", "to": null}],
         "certificates": [{"kind": "skill-level", "relation": "same", "level": 4, "issuedOn": "2023-09-30"}]}
        """

    func run(_ profile: String, level: String = "3", edition: String = "2018") throws -> (status: Int32, output: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-elig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("profile.json")
        try profile.write(to: file, atomically: true, encoding: .utf8)
        return try Repository.run(Repository.binary, ["eligibility", "check", "--occupation", "6-31-01-03", "--edition", edition,
                                                      "--level", level, file.path],
                                  environment: ["DATABASE_URL": folder.appendingPathComponent("db.sqlite").path])
    }

    @Test("prints the Chinese explanation; exits 0 eligible, 1 not eligible, 2 bad input naming the path")
    func exitCodes() throws {
        let no = try run(Self.failing)
        #expect(no.status == 1)
        #expect(no.output.contains("结论：不符合 电工 三级/高级工 申报条件"))
        #expect(no.output.contains("四级证书后本职业工作年限：37 / 60 个月"))
        let yes = try run(Self.failing, level: "4")
        #expect(yes.status == 0)
        #expect(yes.output.contains("结论：符合 电工 四级/中级工 申报条件（第 2 条"))
        let bad = try run(Self.failing.replacingOccurrences(of: "2023-09-30", with: "2023-09-31"))
        #expect(bad.status == 2)
        #expect(bad.output.contains("certificates[0].issuedOn"))
        let noEdition = try run(Self.failing, edition: "1999")
        #expect(noEdition.status == 2)
        #expect(noEdition.output.contains("edition"))
        let notJSON = try run("{not json")
        #expect(notJSON.status == 2)
    }
}
