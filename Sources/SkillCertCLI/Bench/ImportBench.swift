import ArgumentParser
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertWeb
import Vapor

/// `skillcert bench import`: builds a registration file of N valid rows (XLSX and CSV) and a fresh SQLite database
/// with a published plan, then imports each file in a child process, which reports rows/s and its own peak memory.
/// The same child first reads the file without the database: that parse-only time is the same-run reference.
struct ImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Batch registration import into SQLite.")

    @ArgumentParser.Option(help: "Rows in the generated file.") var rows = 100_000
    @ArgumentParser.Option(help: "xlsx, csv or both.") var format = "both"
    @ArgumentParser.Option(help: "Working directory (default: a new temporary one, removed afterwards).") var directory: String?

    func run() async throws {
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: directory ?? fm.temporaryDirectory.appendingPathComponent("skillcert-bench-\(UUID().uuidString)").path)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if directory == nil { try? fm.removeItem(at: dir) } }
        let keyFile = dir.appendingPathComponent("content.key")
        try Data(ContentSealer.newKeyBase64().utf8).write(to: keyFile)
        let template = dir.appendingPathComponent("template.sqlite")
        setenv("SKILLCERT_CONTENT_KEY_FILE", keyFile.path, 1)
        setenv("DATABASE_URL", "sqlite://\(template.path)", 1)
        setenv("SKILLCERT_BCRYPT_COST", "4", 1)

        // A fresh database with a published plan.
        let planNumber = try await withApplication { app in
            try await SkillCertApp.migrate(app)
            let time = SystemTimeSource()
            var actors: [AuditActor] = []
            for name in ["benchcoord", "benchleader"] {
                let u = try await Accounts.create(.init(username: name, displayName: name, password: "Bench-Password-2026",
                                                        roles: [name == "benchcoord" ? .coordination : .leadership]),
                                                  hasher: app.skillcertPasswordHasher, on: app.db, actor: .system("bench"), time: time)
                actors.append(AuditActor(id: u.id, name: name))
            }
            let standard = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: app.db)
            let today = time.now().chinaLocalDate
            let plan = CertificationPlan(title: "基准测试计划", standardID: try standard.requireID().uuidString, occupationName: "电工",
                                         levels: [4, 3], workType: nil, registrationOpens: today.adding(days: -1),
                                         registrationCloses: today.adding(days: 30), examDates: [.init(part: .theory, date: today.adding(days: 40))],
                                         venues: ["基准站点"], feeYuan: 200, capacity: rows, materials: [], notes: "")
            let row = try await PlanStore.create(plan, actor: actors[0], on: app.db, time: time)
            for (action, actor) in [(PlanStore.Action.submit, actors[0]), (.approve, actors[1]), (.publish, actors[0])] {
                try await PlanStore.act(action, id: row.requireID(), reason: nil, actor: actor, on: app.db, time: time)
            }
            return row.number
        }

        let formats = format == "both" ? ["xlsx", "csv"] : [format]
        let sample = Self.rows(rows)
        for f in formats {
            let file = dir.appendingPathComponent("registrations.\(f)")
            let clock = ContinuousClock()
            let made = try clock.measure {
                if f == "xlsx" {
                    let sheet = Worksheet(name: "报名名单", header: RegistrationImport.columns.map(\.header),
                                          rows: sample.map { $0.map { $0.isEmpty ? CellValue.empty : .text($0) } })
                    try XLSXWriter.write([sheet]).write(to: file)
                } else {
                    try Self.writeCSV(header: RegistrationImport.columns.map(\.header), rows: sample, to: file)
                }
            }
            let size = (try fm.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
            print(String(format: "%@: %d rows, %.1f MB, written in %.1f s", f, rows, Double(size) / 1_048_576, made.seconds))
            let db = dir.appendingPathComponent("bench-\(f).sqlite")
            try? fm.removeItem(at: db)
            try fm.copyItem(at: template, to: db)
            let child = Process()
            // This very binary, however it was started (a relative path, or found on PATH).
            child.executableURL = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            child.arguments = ["bench", "import-run", "--plan", planNumber, file.path]
            var env = ProcessInfo.processInfo.environment
            env["DATABASE_URL"] = "sqlite://\(db.path)"
            child.environment = env
            fflush(nil)  // the child writes to the same output: flush ours first to keep the lines in order
            try child.run()
            child.waitUntilExit()
            guard child.terminationStatus == 0 else { throw ExitCode(child.terminationStatus) }
        }
        print("targets (2 cores): XLSX ≤ 10 s, CSV ≤ 3 s, peak memory < 300 MB")
    }

    /// Valid, distinct rows (sample data): resident IDs with correct check digits, mobiles, backgrounds.
    static func rows(_ n: Int) -> [[String]] {
        let areas = ["110105", "320102", "320506", "440305", "510107", "330106"]
        let base = LocalDate(year: 1970, month: 1, day: 1)!
        return (0..<n).map { i in
            let birth = base.adding(days: i % 12_000)
            let seq = String(format: "%03d", (i / 12_000) % 1000)
            let first17 = areas[i % areas.count] + String(format: "%04d%02d%02d", birth.year, birth.month, birth.day) + seq
            let id = ResidentID.completing(first17)!
            let workYear = 2005 + i % 15
            var values = ["姓名": "示例考生\(i)", "证件类型": "居民身份证", "证件号码": id, "手机号码": String(format: "139%08d", i),
                          "工作单位": "示例企业\(i % 300)", "申报等级": i % 3 == 0 ? "三级" : "四级", "本职业工作开始日期": "\(workYear)-07-01",
                          "学历": "大专/专科", "专业与本职业关系": "相关", "毕业日期": "\(workYear)-06-30"]
            if i % 3 == 0 {
                values["已有证书等级"] = "四级"
                values["证书类型"] = i % 6 == 0 ? "职业资格证书" : "技能等级证书"
                values["证书发证日期"] = "\(workYear + 4)-12-31"
                if i % 6 == 0 { values["证书编号"] = String(format: "11320000%08d", i) }
            }
            let row = RegistrationImport.columns.map { values[$0.header] ?? "" }
            return row
        }
    }

    static func writeCSV(header: [String], rows: [[String]], to url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        func line(_ cells: [String]) -> String {
            cells.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
                .joined(separator: ",") + "\r\n"
        }
        var buffer = line(header)
        for row in rows {
            buffer += line(row)
            if buffer.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(buffer.utf8))
                buffer = ""
            }
        }
        try handle.write(contentsOf: Data(buffer.utf8))
    }
}

/// The measured part, in its own process so that its peak memory is its own.
struct ImportRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import-run", abstract: "Used by `bench import`.",
                                                    shouldDisplay: false)

    @ArgumentParser.Option var plan: String
    @ArgumentParser.Argument var file: String

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        let clock = ContinuousClock()
        var parsed = 0
        let parse = try clock.measure { try TableReader.rows(fileAt: url) { _, _ in parsed += 1 } }
        let rssAfterParse = Self.peakRSSMB()
        let report = try await withApplication { app in
            guard let row = try await PlanStore.find(reference: plan, on: app.db) else { throw ExitCode(2) }
            let start = clock.now
            let r = try await RegistrationImport.run(planID: row.requireID(), fileName: url.lastPathComponent, fileSHA256: "bench",
                                                     rows: TableRowStream.chunks(fileAt: url), actor: .system("bench"),
                                                     sealer: app.contentSealer!, on: app.db, direct: app.sqliteDirectWrites,
                                                     time: SystemTimeSource())
            let seconds = (clock.now - start).seconds
            // The import returns once its commit is durable; the checkpoint it started copies the pages into the
            // database file afterwards. Shown apart, not hidden.
            let checkpoint = await clock.measure { await SQLiteDirectWrites.checkpointsFinished() }
            return (r, seconds, checkpoint.seconds)
        }
        guard report.0.errors.isEmpty else {
            report.0.errors.prefix(5).forEach { eprint("error: row \($0.row) \($0.column): \($0.messageEN)") }
            throw ExitCode(1)
        }
        let seconds = report.1
        print(String(format: "  import: %d rows in %.2f s = %.0f rows/s; peak memory %.0f MB (after the parse-only pass: %.0f MB)",
                     report.0.imported, seconds, Double(report.0.imported) / seconds, Self.peakRSSMB(), rssAfterParse))
        print(String(format: "  reference, same run: reading the file alone (%d rows incl. header) took %.2f s", parsed, parse.seconds))
        let parts = report.0.timings.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f s", $0.key, $0.value) }.joined(separator: ", ")
        print("  inside the import: \(parts)")
        print(String(format: "  after the import: its checkpoint (WAL pages copied into the database file, in the background) finished %.2f s later", report.2))
    }

    /// This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries that across exec, so a
    /// child would report the parent's peak (the parent builds the 100,000-row file in memory).
    static func peakRSSMB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
