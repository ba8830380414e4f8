import ArgumentParser
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertWeb
import Vapor

struct EligibilityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eligibility", abstract: "Eligibility (申报条件).",
                                                    subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide a profile's eligibility and explain it in Chinese.",
            discussion: "Exit status: 0 eligible, 1 not eligible, 2 bad input (the message names the JSON path).")

        @ArgumentParser.Option(help: "Occupation code, e.g. 6-31-01-03.") var occupation: String
        @ArgumentParser.Option(help: "Standard edition, e.g. 2018.") var edition: String
        @ArgumentParser.Option(help: "Level, 5 (五级) … 1 (一级).") var level: Int
        @ArgumentParser.Argument(help: "The applicant profile (JSON, format in shared/domain.md).") var profile: String

        func run() async throws {
            do {
                guard let data = FileManager.default.contents(atPath: profile) else {
                    throw ValidationFailure([FieldError(code: "unreadable", field: profile, zh: "无法读取文件 \(profile)",
                                                        en: "cannot read \(profile)")])
                }
                let raw: RawApplicantProfile
                do {
                    raw = try JSONDecoder().decode(RawApplicantProfile.self, from: data)
                } catch let e as DecodingError {
                    throw ValidationFailure([FieldError(decoding: e)])
                }
                let decision = try await withApplication { app in
                    try await SkillCertApp.migrate(app)
                    let row = try await StandardStore.find(code: occupation, edition: edition, on: app.db)
                    let standard = try row.standard()
                    guard standard.spec(for: Level(level)) != nil else {
                        throw ValidationFailure([FieldError(
                            code: "level_not_offered", field: "level",
                            zh: "\(standard.occupation.name) \(edition) 版标准不设该等级（设有：\(standard.offeredLevels.map(\.shortName).joined(separator: "、"))）",
                            en: "level \(level) is not offered")])
                    }
                    let p = try raw.parse(prefix: "", today: Date().chinaLocalDate)
                    return EligibilityEngine.evaluate(p, standard: standard, level: Level(level))
                }
                guard let decision else { throw ExitCode(2) }
                print(decision.explanationZH)
                if !decision.eligible { throw ExitCode(1) }
            } catch let failure as ValidationFailure {
                failure.errors.forEach { eprint("输入错误 \($0.field)：\($0.messageZH)  (\($0.code): \($0.messageEN))") }
                throw ExitCode(2)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                // Exit 1 means "not eligible"; anything unexpected must not look like a decision.
                eprint("错误：\(error)")
                throw ExitCode(2)
            }
        }
    }
}

struct StandardsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "standards", abstract: "Occupational standards.",
                                                    subcommands: [List.self, Export.self, Import.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the standard editions.")

        func run() async throws {
            let rows = try await withApplication { app in
                try await SkillCertApp.migrate(app)
                return try await StandardStore.list(on: app.db).map { "\($0.occupationCode)\t\($0.edition)\t\($0.status)\t\($0.occupationName)\t\($0.documentNumber)" }
            }
            rows.forEach { print($0) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an edition as YAML (docs/formats/standard.md).")

        @ArgumentParser.Option(help: "Occupation code.") var occupation: String
        @ArgumentParser.Option(help: "Edition.") var edition: String
        @ArgumentParser.Option(name: .shortAndLong, help: "Output file (default: standard output).") var output: String?

        func run() async throws {
            do {
                let text = try await withApplication { app in
                    try await SkillCertApp.migrate(app)
                    let row = try await StandardStore.find(code: occupation, edition: edition, on: app.db)
                    return try StandardCodec.encode(try row.standard())
                }
                if let output {
                    try text.write(toFile: output, atomically: true, encoding: .utf8)
                } else {
                    print(text, terminator: "")
                }
            } catch let failure as ValidationFailure {
                failure.errors.forEach { eprint("error: \($0.field): \($0.messageEN)") }
                throw ExitCode(2)
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a YAML document as a draft (or in use with --in-use); all or nothing.")

        @ArgumentParser.Argument(help: "The YAML file.") var file: String
        @ArgumentParser.Flag(help: "Put the edition in use immediately.") var inUse = false

        func run() async throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                eprint("error: cannot read \(file) as UTF-8 text")
                throw ExitCode(2)
            }
            do {
                let row = try await withApplication { app in
                    try await SkillCertApp.migrate(app)
                    return try await StandardStore.importYAML(text, status: inUse ? .inUse : .draft, reason: "命令行导入",
                                                              on: app.db, actor: .system("cli"), time: SystemTimeSource())
                }
                print("imported \(row.occupationCode) \(row.edition) (\(row.status))")
            } catch let failure as ValidationFailure {
                failure.errors.forEach { eprint("error: \($0.field): \($0.messageEN)") }
                throw ExitCode(2)
            } catch let e as DomainError {
                eprint("error: \(e)")
                throw ExitCode(2)
            }
        }
    }
}
