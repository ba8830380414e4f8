import ArgumentParser
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertWeb

/// `skillcert archive`: export a plan's dossier and check a dossier against its manifest.
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "archive", abstract: "Dossiers (认定档案).",
                                                    subcommands: [Export.self, Verify.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a plan's dossier ZIP (audited as an export by the command line).")

        @Option(help: "The plan's number (2026-001) or id.") var plan: String
        @ArgumentParser.Argument(help: "The ZIP file to write.") var output: String

        func run() async throws {
            let count = try await withApplication { app -> Int? in
                guard let row = try await PlanStore.find(reference: plan, on: app.db) else { return nil }
                let package = try await DossierExport.export(planID: try row.requireID(), actor: .system("cli"), files: app.fileStore, on: app.db,
                                                             time: SystemTimeSource())
                try package.data.write(to: URL(fileURLWithPath: output), options: .atomic)
                return package.manifest.files.count
            }
            guard let count else {
                eprint("error: no plan \(plan)")
                throw ExitCode(2)
            }
            print("wrote \(output): \(count) files")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every file of a dossier ZIP against manifest.json; exit 1 naming missing, extra and changed files.")

        @ArgumentParser.Argument(help: "The dossier ZIP.") var file: String

        func run() async throws {
            let report: DossierReport
            do {
                report = try DossierVerifier.verify(fileAt: URL(fileURLWithPath: file))
            } catch let error as SpreadsheetError {
                eprint("error: \(error.messageEN)")
                throw ExitCode(2)
            }
            for path in report.missing { print("MISSING \(path)") }
            for path in report.extra { print("EXTRA   \(path)") }
            for path in report.changed { print("CHANGED \(path)") }
            guard report.isIntact else {
                print("dossier NOT intact: \(report.missing.count) missing, \(report.extra.count) extra, \(report.changed.count) changed")
                throw ExitCode(1)
            }
            print("OK: \(report.checked) files match the manifest (plan \(report.manifest.plan.number), generated \(report.manifest.generatedAt))")
        }
    }
}
