import ArgumentParser
import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertWeb
import Vapor

/// `skillcert bench certificates`: on a fresh SQLite database, (1) issues N certificates for a finalised plan —
/// numbers, records, signed credentials, audit entries — and times it; (2) renders a batch PDF of P pages in a child
/// process, which reports pages/s and its own peak memory; (3) drives the public verification API of this binary's
/// server over the issued certificates, against the same server's `/healthz` in the same run.
struct CertificateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "certificates", abstract: "Certificate issuing, batch PDF and verification lookups.")

    @ArgumentParser.Option(help: "Certificates to issue.") var count = 100_000
    @ArgumentParser.Option(help: "Pages of the batch PDF (0 skips it).") var pages = 10_000
    @ArgumentParser.Flag(help: "Skip the verification lookups.") var noLookups = false
    @ArgumentParser.Option(help: "Seconds for the plaintext reference and for the lookups.") var seconds = 10
    @ArgumentParser.Option(help: "Requests in flight at once (8 keeps the queue short enough for the p99 target on 2 cores).") var concurrency = 8
    @ArgumentParser.Option(help: "A JPEG photo to put on every page of the batch PDF.") var photo: String?
    @ArgumentParser.Option(help: "Certificates per issuing transaction.") var chunk = 5000
    @ArgumentParser.Option(help: "Certificates in the database for the lookups: the issued ones, then copies of them under other numbers.")
    var lookupTotal = 1_000_000

    func run() async throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("skillcert-cert-bench-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["SKILLCERT_BENCH_KEEP"] == nil { try? fm.removeItem(at: dir) } }
        let keyFile = dir.appendingPathComponent("content.key")
        try Data(ContentSealer.newKeyBase64().utf8).write(to: keyFile)
        setenv("SKILLCERT_CONTENT_KEY_FILE", keyFile.path, 1)
        setenv("DATABASE_URL", "sqlite://\(dir.appendingPathComponent("certs.sqlite").path)", 1)
        setenv("SKILLCERT_BCRYPT_COST", "4", 1)
        setenv("SKILLCERT_FILES_DIR", dir.appendingPathComponent("files").path, 1)
        let count = self.count

        print("preparing \(count) passing candidates of a finalised plan …")
        let numbers = try await withApplication { app -> [String] in
            try await SkillCertApp.migrate(app)
            let time = SystemTimeSource()
            _ = try await DemoData.load(adminPassword: "Cert-Bench-2026!", hasher: app.skillcertPasswordHasher, sealer: app.contentSealer, on: app.db, time: time)
            guard let sealer = app.contentSealer, let signer = app.credentialSigner,
                  let plan = try await StoredPlan.query(on: app.db).filter(\.$number == "2026-001").first() else { throw ExitCode(1) }
            try await Self.finalPlan(planID: plan.requireID(), count: count, sealer: sealer, on: app.db, time: time)

            let clock = ContinuousClock()
            let steps = StepSeconds()
            let db = app.db
            var issued: [String] = []
            let took = try await clock.measure {
                issued = try await CertificateStore.issue(planID: plan.requireID(), actor: .system("bench"), sealer: sealer, signer: signer,
                                                         links: .init(base: "https://certs.example.cn"), chunk: chunk, on: db, reads: app.database(besides: db),
                                                         time: time) { p in
                    if p.done == p.total { steps.set(p.seconds) }
                }
            }
            print(String(format: "issue: %d certificates (numbers, records, signed credentials, audit entries) in %.2f s = %.0f per second",
                         issued.count, took.seconds, Double(issued.count) / took.seconds))
            print("  steps: " + steps.get().sorted { $0.value > $1.value }.map { String(format: "%@ %.2f s", $0.key, $0.value) }.joined(separator: ", "))
            print("target (issue #9): 100,000 in at most 10 s")
            let padding = max(0, lookupTotal - issued.count)
            if padding > 0, !issued.isEmpty, !noLookups {
                print("adding \(padding) more certificates for the lookups: copies of the issued ones (same row sizes) under site codes 9xxxxx …")
                let took = try await clock.measure { try await CertificateBenchSupport.pad(padding, on: app.db) }
                print(String(format: "  added in %.1f s", took.seconds))
            }
            return try await CertificateBenchSupport.numbers(on: app.db)
        }

        if pages > 0 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            child.arguments = ["bench", "certificate-pdf", "--pages", String(pages)] + (photo.map { ["--photo", $0] } ?? [])
            fflush(nil)
            try child.run()
            child.waitUntilExit()
        }

        guard !noLookups else { return }
        let port = Int.random(in: 30_000..<50_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        server.arguments = ["serve", "--port", String(port), "--log-level", "error"]
        var env = ProcessInfo.processInfo.environment
        env["SKILLCERT_VERIFY_PER_MINUTE"] = "1000000000"
        server.environment = env
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        let concurrency = self.concurrency, seconds = self.seconds
        try await withApplication(logLevel: .error) { app in
            app.http.client.configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            let client = app.client
            for _ in 0..<300 {
                if let r = try? await client.get(URI(string: base + "/readyz")), r.status == .ok { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let plain = try await LoadGenerator.storm(port: port, connections: concurrency, seconds: seconds) { _ in LoadGenerator.get("/healthz") }
            print(String(format: "reference, same run: GET /healthz %.0f requests/s (p50 %.1f ms, p99 %.1f ms, errors %d)",
                         plain.rate, plain.p50 * 1000, plain.p99 * 1000, plain.errors))
            let lookups = try await LoadGenerator.storm(port: port, connections: concurrency, seconds: seconds) { n in
                LoadGenerator.get("/api/v1/public/certificates/\(numbers[(n &* 7919) % numbers.count])")
            }
            print(String(format: "verification lookups over %d certificates: %.0f requests/s (p50 %.1f ms, p99 %.1f ms, errors %d) = %.1f%% of the plaintext rate",
                         numbers.count, lookups.rate, lookups.p50 * 1000, lookups.p99 * 1000, lookups.errors, lookups.rate / max(plain.rate, 1) * 100))
            print("target: at least 70% of the plaintext rate, p99 ≤ 10 ms")
        }
    }

    /// `count` sample holders of the plan with final passing results and an ended publicity, written in bulk.
    static func finalPlan(planID: UUID, count: Int, sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws {
        let now = time.now()
        let today = now.chinaLocalDate.description
        let hasher = sealer.keyedHasher(purpose: "id-number")
        var results: [UUID] = []
        for start in stride(from: 0, to: count, by: 1000) {
            var users: [User] = [], roles: [UserRoleAssignment] = [], profiles: [CandidateProfile] = [], applications: [StoredApplication] = []
            var records: [ResultRecord] = []
            for i in start..<min(start + 1000, count) {
                let birth = LocalDate(dayNumber: LocalDate(year: 1970, month: 1, day: 1)!.dayNumber + i % 9000)
                let number = ResidentID.completing("110105" + birth.description.replacingOccurrences(of: "-", with: "") + String(format: "%03d", i / 9000 % 1000))!
                let sample = try DemoData.sampleApplicant(planID: planID, username: "holder-\(i)", name: "示例持证人\(i)", idNumber: number, employer: "示例单位",
                                                          sealer: sealer, keyedHash: hasher, now: now)
                users.append(sample.user)
                roles.append(sample.role)
                profiles.append(sample.profile)
                applications.append(sample.application)
                let (id, a) = (sample.user.id!, sample.application)
                let r = ResultRecord()
                r.id = UUID()
                r.planID = planID
                r.applicationID = a.id!
                r.candidateID = id
                r.level = 4
                r.theory = 80
                r.skills = 80
                r.absentParts = ""
                r.verdict = "passed"
                r.verdictParts = ""
                r.computedAt = now
                r.releasedOn = today
                r.final = true
                records.append(r)
                results.append(r.id!)
            }
            let batch = (users, roles, profiles, applications, records)
            try await db.transaction { tx in
                try await batch.0.create(on: tx)
                try await batch.1.create(on: tx)
                try await batch.2.create(on: tx)
                try await batch.3.create(on: tx)
                try await batch.4.create(on: tx)
            }
        }
        let p = PublicityRecord()
        p.planID = planID
        p.startedOn = today
        p.lastDay = today
        p.publishedBy = try await User.query(on: db).filter(\.$username == "exams").first()?.requireID() ?? UUID()
        p.publishedAt = now
        p.resultIDs = "[]"
        p.finalizedAt = now
        try await p.create(on: db)
    }
}

/// The last step timings the issuing reported.
final class StepSeconds: @unchecked Sendable {  // `value` only under `lock`
    private let lock = NSLock()
    private var value: [String: Double] = [:]
    func set(_ v: [String: Double]) { lock.withLock { value = v } }
    func get() -> [String: Double] { lock.withLock { value } }
}

/// `skillcert bench certificate-pdf` (used by `bench certificates`): renders a batch PDF in this process and reports
/// pages per second and this process's peak memory.
struct CertificatePDFRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "certificate-pdf", abstract: "Used by `bench certificates`.", shouldDisplay: false)

    @ArgumentParser.Option var pages = 10_000
    @ArgumentParser.Option(help: "A JPEG photo to put on every page.") var photo: String?

    func run() async throws {
        // A photo as candidates upload it (JPEG, embedded as is), when one is given.
        let photo = try self.photo.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? Data()
        let certificates = (0..<pages).map { i in
            PrintedCertificate(number: String(format: "S01233232010226400%04d", i % 10_000), printSerial: 1, name: "示例持证人\(i)", idType: "居民身份证",
                               idNumber: "11010519800101002X", occupation: "电工", workType: "--", level: "四级/中级工", levelEnglish: "Level 4",
                               bodyName: "江苏示例职业技能评价中心（示例数据）", issueDate: "2026-11-28", photo: photo.isEmpty ? nil : .init(data: photo, isJPEG: true),
                               verifyURL: "https://certs.example.cn/verify/S01233232010226400\(String(format: "%04d", i % 10_000))")
        }
        let clock = ContinuousClock()
        var bytes = 0
        let took = try clock.measure { bytes = try CertificatePDF.render(certificates).count }
        print(String(format: "batch PDF: %d pages (%.1f MB, %@) in %.2f s = %.0f pages/s; peak memory %.0f MB",
                     pages, Double(bytes) / 1_048_576, photo.isEmpty ? "no photo: pass --photo FILE.jpg" : "a \(photo.count / 1024) KB JPEG photo on each",
                     took.seconds, Double(pages) / took.seconds, ImportRun.peakRSSMB()))
        print("target (issue #9): at least 500 pages/s on 2 cores, stating peak memory")
    }
}
