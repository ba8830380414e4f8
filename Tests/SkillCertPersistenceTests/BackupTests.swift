import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Backup and restore")
struct BackupTests {
    /// A new temporary directory name (not created).
    static func folder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-\(name)-\(UUID().uuidString)", isDirectory: true)
    }

    /// Every table of a backup as its lines (rows in the backup's stable order), by table name.
    static func rows(_ backup: URL) throws -> [String: [String]] {
        let manifest = try BackupStore.verify(backup)
        var tables: [String: [String]] = [:]
        for table in manifest.tables {
            let text = try String(contentsOf: backup.appendingPathComponent(table.file), encoding: .utf8)
            tables[table.name] = text.split(separator: "\n").map(String.init)
        }
        return tables
    }

    /// Sample data with everything a body has after a round: accounts, a plan, results, issued certificates.
    static func demo(_ t: TestApp) async throws -> [String] {
        _ = try await DemoData.load(adminPassword: "SkillCert-2026!", hasher: t.app.skillcertPasswordHasher,
                                    sealer: t.app.contentSealer, on: t.db, time: t.time)
        let sealer = try #require(t.app.contentSealer)
        let signer = try #require(t.app.credentialSigner)
        return try await DemoData.issuedCertificates(sealer: sealer, signer: signer, links: .init(base: "https://skillcert.example"),
                                                     on: t.db, time: t.time)
    }

    @Test("a backup restored into a new installation has the same rows, files, audit chain and public certificate checks")
    func roundTrip() async throws {
        let sourceFiles = LocalFileStore(root: Self.folder("files-a"))
        let targetFiles = LocalFileStore(root: Self.folder("files-b"))
        let first = Self.folder("backup-a")
        let second = Self.folder("backup-b")
        defer {
            for url in [sourceFiles.root, targetFiles.root, first, second] { try? FileManager.default.removeItem(at: url) }
        }
        try await TestApp.with { source in
            // setup
            let numbers = try await Self.demo(source)
            #expect(numbers.count == 3)
            let photo = try await sourceFiles.put(Data("证件照".utf8))
            let manifest = try await BackupStore.backup(to: first, on: source.db, files: sourceFiles, time: source.time)
            #expect(manifest.tables.contains { $0.name == "_fluent_migrations" && $0.rows == SkillCertMigrations.all.count })
            #expect(manifest.files.map(\.key) == [photo])
            let audited = try await AuditEntry.query(on: source.db).count()
            #expect(manifest.audit.lastSequence == audited)
            var views: [String] = []
            for n in numbers { views.append("\(try #require(try await CertificateStore.publicView(number: n, on: source.db)))") }

            try await TestApp.with { target in
                // MUT
                try await BackupStore.restore(from: first, on: target.db, files: targetFiles, actor: .system("test"), time: target.time)

                // validate: a backup of the restored installation holds the same rows, table by table
                try await BackupStore.backup(to: second, on: target.db, files: targetFiles, time: target.time)
                let before = try Self.rows(first)
                let after = try Self.rows(second)
                #expect(before.keys.sorted() == after.keys.sorted())
                for (table, rows) in before where table != AuditEntry.schema {
                    #expect(after[table] == rows, "table \(table) differs after the restore")
                }
                // the same audit chain, followed by the restore's own entry
                let chain = try #require(before[AuditEntry.schema])
                let restored = try #require(after[AuditEntry.schema])
                #expect(Array(restored.prefix(chain.count)) == chain)
                #expect(restored.count == chain.count + 1)
                #expect(try await AuditLog.verify(on: target.db) == .success(audited + 1))
                let last = try #require(try await AuditEntry.query(on: target.db).sort(\.$id, .descending).first())
                #expect(last.action == "backup.restore" && last.previousHash == manifest.audit.headHash)
                // what the public sees of each certificate, and the stored file
                for (n, view) in zip(numbers, views) {
                    #expect("\(try #require(try await CertificateStore.publicView(number: n, on: target.db)))" == view)
                }
                #expect(try await targetFiles.get(photo) == Data("证件照".utf8))
            }
        }
    }

    @Test("a changed table file or stored file is refused naming the file, and the target stays empty")
    func tamperedBackup() async throws {
        let files = LocalFileStore(root: Self.folder("files-t"))
        let targetFiles = LocalFileStore(root: Self.folder("files-u"))
        let backup = Self.folder("backup-t")
        defer { for url in [files.root, targetFiles.root, backup] { try? FileManager.default.removeItem(at: url) } }
        try await TestApp.with { source in
            // setup
            try await source.createUser("alpha", roles: [.examAffairs])
            try await source.createUser("bravo", roles: [.examAffairs])
            let key = try await files.put(Data("材料".utf8))
            try await BackupStore.backup(to: backup, on: source.db, files: files, time: source.time)
            let users = backup.appendingPathComponent("tables/users.jsonl")
            let original = try Data(contentsOf: users)
            try Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "alpha", with: "admin").utf8).write(to: users)

            try await TestApp.with { target in
                let seededEntries = try await AuditEntry.query(on: target.db).count()
                // MUT: a changed row
                await #expect(throws: BackupError.tampered(file: "tables/users.jsonl")) {
                    try await BackupStore.restore(from: backup, on: target.db, files: targetFiles, actor: .system("test"), time: target.time)
                }
                // MUT: the rows as written, but a changed stored file
                try original.write(to: backup.appendingPathComponent("tables/users.jsonl"))
                let stored = "files/\(key.prefix(2))/\(key.dropFirst(2).prefix(2))/\(key)"
                try Data("换过的材料".utf8).write(to: backup.appendingPathComponent(stored))
                await #expect(throws: BackupError.tampered(file: stored)) {
                    try await BackupStore.restore(from: backup, on: target.db, files: targetFiles, actor: .system("test"), time: target.time)
                }
                // validate: nothing was written
                #expect(try await User.query(on: target.db).count() == 0)
                #expect(try await AuditEntry.query(on: target.db).count() == seededEntries)
                #expect(try await BackupStore.contentsBesidesSeeds(on: target.db) == nil)
                #expect(try await targetFiles.get(key) == nil)
            }
        }
    }

    @Test("restore into an installation that has data, and a backup into a non-empty directory, are refused")
    func refusals() async throws {
        let backup = Self.folder("backup-r")
        defer { try? FileManager.default.removeItem(at: backup) }
        try await TestApp.with { source in
            try await source.createUser("alpha", roles: [.examAffairs])
            try await BackupStore.backup(to: backup, on: source.db, files: nil, time: source.time)
            await #expect(throws: BackupError.directoryNotEmpty(backup.path)) {
                try await BackupStore.backup(to: backup, on: source.db, files: nil, time: source.time)
            }
            try await TestApp.with { target in
                try await target.createUser("existing", roles: [.administrator])
                let entries = try await AuditEntry.query(on: target.db).count()
                await #expect(throws: BackupError.targetNotEmpty("1 account(s)")) {
                    try await BackupStore.restore(from: backup, on: target.db, files: nil, actor: .system("test"), time: target.time)
                }
                #expect(try await User.query(on: target.db).all().map(\.username) == ["existing"])
                #expect(try await AuditEntry.query(on: target.db).count() == entries)
            }
        }
    }
}

@Suite("Backup and restore on the command line")
struct BackupCommandLineTests {
    @Test("`skillcert backup` then `skillcert restore` into a new installation carries the accounts over; a second restore is refused")
    func backupRestore() async throws {
        let backup = BackupTests.folder("cli-backup")
        let files = BackupTests.folder("cli-files")
        defer { for url in [backup, files] { try? FileManager.default.removeItem(at: url) } }
        try await CommandLineTests.withFileBackedApp { source, sourceURL in
            // setup
            try await source.createUser("alpha", roles: [.examAffairs])
            let env = ["DATABASE_URL": sourceURL, "SKILLCERT_FILES_DIR": files.path]
            let written = try Repository.run(Repository.binary, ["backup", backup.path], environment: env)
            #expect(written.status == 0, "\(written.output)")
            #expect(written.output.contains("backup written to"))
            let again = try Repository.run(Repository.binary, ["backup", backup.path], environment: env)
            #expect(again.status == 2)
            #expect(again.output.contains("not empty"), "\(again.output)")

            try await CommandLineTests.withFileBackedApp { target, targetURL in
                // MUT
                let targetEnv = ["DATABASE_URL": targetURL, "SKILLCERT_FILES_DIR": files.path]
                let restored = try Repository.run(Repository.binary, ["restore", backup.path], environment: targetEnv)
                #expect(restored.status == 0, "\(restored.output)")
                #expect(restored.output.contains("audit chain OK"))
                // validate
                #expect(try await User.query(on: target.db).filter(\.$username == "alpha").count() == 1)
                let verify = try Repository.run(Repository.binary, ["audit", "verify"], environment: targetEnv)
                #expect(verify.status == 0, "\(verify.output)")
                let twice = try Repository.run(Repository.binary, ["restore", backup.path], environment: targetEnv)
                #expect(twice.status == 2)
                #expect(twice.output.contains("not empty"), "\(twice.output)")
            }
        }
    }
}
