import ArgumentParser
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertWeb
import Vapor

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import data files.",
                                                    subcommands: [Registrations.self])

    /// `skillcert import registrations --plan ID FILE`: a batch registration file, all rows or none.
    struct Registrations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a batch registration file (.xlsx, or .csv in UTF-8 or GBK) into a published plan; all rows or none.",
            discussion: "Exit status: 0 imported, 2 the file has problems (each is listed with its row and column; nothing was imported).")

        @ArgumentParser.Option(help: "The plan: its number (2026-001) or id.") var plan: String
        @ArgumentParser.Option(help: "Who is importing, for the audit log.") var actor = ProcessInfo.processInfo.environment["USER"] ?? "cli"
        @ArgumentParser.Argument(help: "The file.") var file: String

        func run() async throws {
            guard FileManager.default.isReadableFile(atPath: file) else {
                eprint("error: cannot read \(file)")
                throw ExitCode(2)
            }
            let report = try await withApplication { app in
                try await SkillCertApp.migrate(app)
                guard let sealer = app.contentSealer else {
                    eprint("error: no content key: run `skillcert keys generate` first")
                    throw ExitCode(2)
                }
                guard let row = try await PlanStore.find(reference: plan, on: app.db) else {
                    eprint("error: no plan \(plan)")
                    throw ExitCode(2)
                }
                let url = URL(fileURLWithPath: file)
                let progress = ProgressLine(label: "rows checked")
                do {
                    let r = try await RegistrationImport.run(planID: row.requireID(), fileName: url.lastPathComponent,
                                                             fileSHA256: try Self.sha256(of: url), rows: TableRowStream.chunks(fileAt: url),
                                                             actor: .system("cli:\(actor)"), sealer: sealer, on: app.db, direct: app.sqliteDirectWrites,
                                                             time: SystemTimeSource(), progress: { progress.update($0) })
                    progress.finish()
                    return r
                } catch let e as SpreadsheetError {
                    progress.finish()
                    return RegistrationImport.Report(imported: 0, newCandidates: 0, errors: [
                        .init(row: 0, column: e.cell ?? "", code: e.code, zh: e.messageZH, en: e.messageEN),
                    ], batchID: nil, rows: 0)
                }
            }
            guard report.errors.isEmpty else {
                for e in report.errors {
                    eprint("error: \(e.row == 0 ? "file" : "row \(e.row)")\(e.column.isEmpty ? "" : ", \(e.column)"): \(e.messageZH) [\(e.code)]")
                }
                eprint("nothing was imported (\(report.errors.count) problem(s))")
                throw ExitCode(2)
            }
            print("imported \(report.imported) application(s) into plan \(plan) (\(report.newCandidates) new candidate(s)); batch \(report.batchID?.uuidString ?? "")")
        }

        static func sha256(of url: URL) throws -> String {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            var hasher = SHA256()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }
}

/// A one-line progress counter on standard error, redrawn in place when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    let label: String
    let lock = NSLock()
    let terminal = isatty(STDERR_FILENO) != 0
    var last = Date.distantPast

    init(label: String) { self.label = label }

    func update(_ count: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard terminal, Date().timeIntervalSince(last) > 0.2 else { return }
        last = Date()
        FileHandle.standardError.write(Data("\r\(label): \(count)".utf8))
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
