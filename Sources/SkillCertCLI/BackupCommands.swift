import ArgumentParser
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertWeb
import Vapor

/// `skillcert backup DIR`: a consistent snapshot of the database and the file store.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent snapshot of the database and the file store (SKILLCERT_FILES_DIR) into a new or empty directory.",
        discussion: "The content key (SKILLCERT_CONTENT_KEY_FILE) is not included: keep it apart from the backups.")

    @ArgumentParser.Argument(help: "The directory to write; it must not exist or be empty.") var directory: String

    func run() async throws {
        let progress = ProgressLine(label: "backup")
        do {
            let manifest = try await withApplication { app in
                try await BackupStore.backup(to: URL(fileURLWithPath: directory, isDirectory: true), on: app.db,
                                             files: app.localFileStore, time: SystemTimeSource(),
                                             progress: { step, n in progress.update(step, n) })
            }
            progress.finish()
            print("backup written to \(directory): \(manifest.tables.count) tables, \(manifest.totalRows) rows, \(manifest.files.count) files; audit head #\(manifest.audit.lastSequence)")
        } catch let error as BackupError {
            progress.finish()
            eprint("error: \(error.message)")
            throw ExitCode(2)
        }
    }
}

/// `skillcert restore DIR`: a backup into a new installation.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new installation: the database is migrated first and must hold nothing but the migrations' own data.",
        discussion: "Every file of the backup is checked against its manifest before anything is written; the rows go in in one transaction and the audit chain is verified before it commits.")

    @ArgumentParser.Argument(help: "The backup directory.") var directory: String

    func run() async throws {
        let progress = ProgressLine(label: "restore")
        do {
            let manifest = try await withApplication { app in
                try await SkillCertApp.migrate(app)
                return try await BackupStore.restore(from: URL(fileURLWithPath: directory, isDirectory: true), on: app.db,
                                                     files: app.localFileStore, actor: .system("cli"), time: SystemTimeSource(),
                                                     progress: { step, n in progress.update(step, n) })
            }
            progress.finish()
            print("restored \(manifest.tables.count) tables, \(manifest.totalRows) rows, \(manifest.files.count) files from the backup of \(manifest.createdAt); audit chain OK")
        } catch let error as BackupError {
            progress.finish()
            eprint("error: \(error.message)")
            throw ExitCode(2)
        }
    }
}

extension Application {
    /// The file store the configuration names, as the local store a backup copies.
    var localFileStore: LocalFileStore {
        (fileStore as? LocalFileStore) ?? LocalFileStore(root: URL(fileURLWithPath: skillcertConfig.filesDirectory, isDirectory: true))
    }
}

extension ProgressLine {
    /// Shows the step with its count.
    func update(_ step: String, _ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard terminal, Date().timeIntervalSince(last) > 0.2 else { return }
        last = Date()
        FileHandle.standardError.write(Data("\r\(label): \(step) \(count)\u{1B}[K".utf8))
    }
}
