import ArgumentParser
import Foundation
import SkillCertCore
import SkillCertPersistence
import SkillCertWeb
import Vapor

/// `skillcert bench exam`: a server in a child process (this binary, `serve`) on a fresh database with an open
/// computer-based session of N sample candidates. The load generator here signs them all in and loads their papers
/// (the exam-start burst), measures the same server's plaintext route (`/healthz`) as the same-run reference, then
/// drives autosaves as fast as the server acknowledges them and reports saves/s and latency percentiles.
struct ExamBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exam", abstract: "Exam start burst and durable autosaves against a real server.")

    @ArgumentParser.Option(help: "Simulated candidates.") var candidates = 2000
    @ArgumentParser.Option(help: "Seconds for the plaintext reference and for the autosave storm.") var seconds = 10
    @ArgumentParser.Option(help: "Requests in flight at once (32 saturates the server on 2 cores; more only lengthens the queue).") var concurrency = 32
    @ArgumentParser.Option(help: "A PostgreSQL URL to run on (an empty database); default: a new SQLite file.") var postgres: String?

    func run() async throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("skillcert-exam-bench-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["SKILLCERT_BENCH_KEEP"] == nil { try? fm.removeItem(at: dir) } }
        let keyFile = dir.appendingPathComponent("content.key")
        try Data(ContentSealer.newKeyBase64().utf8).write(to: keyFile)
        let databaseURL = postgres ?? "sqlite://\(dir.appendingPathComponent("exam.sqlite").path)"
        setenv("SKILLCERT_CONTENT_KEY_FILE", keyFile.path, 1)
        setenv("DATABASE_URL", databaseURL, 1)
        setenv("SKILLCERT_BCRYPT_COST", "4", 1)
        setenv("SKILLCERT_FILES_DIR", dir.appendingPathComponent("files").path, 1)

        print("preparing \(candidates) candidates on \(postgres == nil ? "SQLite" : "PostgreSQL") …")
        let opened = try await withApplication { app in
            try await SkillCertApp.migrate(app)
            _ = try await DemoData.load(adminPassword: "Exam-Bench-2026!", hasher: app.skillcertPasswordHasher, sealer: app.contentSealer,
                                        on: app.db, time: SystemTimeSource())
            return try await DemoData.openExamSession(candidates: candidates, sealer: app.contentSealer!, on: app.db, time: SystemTimeSource())
        }

        let port = Int.random(in: 30_000..<50_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        server.arguments = ["serve", "--port", String(port), "--log-level", "error"]
        _ = fm.createFile(atPath: dir.appendingPathComponent("server.log").path, contents: nil)  // kept with SKILLCERT_BENCH_KEEP=1
        server.standardOutput = try FileHandle(forWritingTo: dir.appendingPathComponent("server.log"))
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"

        try await withApplication(logLevel: .error) { app in
            app.http.client.configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            app.http.client.configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
            let client = app.client
            for _ in 0..<300 {
                if let r = try? await client.get(URI(string: base + "/readyz")), r.status == .ok { break }
                try await Task.sleep(for: .milliseconds(100))
            }

            // The exam-start burst: every candidate signs in and loads the paper.
            struct Login: Content { var ticketNumber: String; var idNumber: String }
            struct Token: Content { var token: String }
            let logins = opened.logins
            let burst = ContinuousClock.now
            let failures = Counter()
            let started = try await Self.run(count: logins.count, concurrency: concurrency) { i -> (String?, Double) in
                let t0 = ContinuousClock.now
                let r = try await client.post(URI(string: base + "/api/v1/exam/login")) { try $0.content.encode(Login(ticketNumber: logins[i].ticket, idNumber: logins[i].idNumber)) }
                guard r.status == .ok, let token = try? r.content.decode(Token.self).token else {
                    if failures.next() == 0 { print("first sign-in failure: \(r.status.code) \(r.body.map { String(buffer: $0) } ?? "")") }
                    return (nil, t0.elapsed)
                }
                let paper = try await client.get(URI(string: base + "/api/v1/exam/attempt")) { $0.headers.bearerAuthorization = .init(token: token) }
                if paper.status != .ok, failures.next() == 0 { print("first paper failure: \(paper.status.code) \(paper.body.map { String(buffer: $0) } ?? "")") }
                return (paper.status == .ok ? token : nil, t0.elapsed)
            }
            let burstSeconds = burst.elapsed
            let tokens = started.compactMap(\.0)
            let burstLatency = started.map(\.1).sorted()
            print(String(format: "exam start: %d of %d candidates signed in and loaded the paper in %.2f s; p50 %.0f ms, p99 %.0f ms; errors %d",
                         tokens.count, logins.count, burstSeconds, Self.percentile(burstLatency, 0.5) * 1000, Self.percentile(burstLatency, 0.99) * 1000,
                         logins.count - tokens.count))
            guard !tokens.isEmpty else { throw ExitCode(1) }

            // Same run, same server: the plaintext route.
            let plain = try await LoadGenerator.storm(port: port, connections: concurrency, seconds: seconds) { _ in LoadGenerator.get("/healthz") }
            print(String(format: "reference, same run: GET /healthz %.0f requests/s (p50 %.1f ms, p99 %.1f ms, errors %d)",
                         plain.rate, plain.p50 * 1000, plain.p99 * 1000, plain.errors))

            // Autosaves: each worker takes a candidate in turn and saves the next answer with the next sequence number.
            struct Paper: Content { struct Item: Content { var itemId: String }; var items: [Item] }
            let first = try await client.get(URI(string: base + "/api/v1/exam/attempt")) { $0.headers.bearerAuthorization = .init(token: tokens[0]) }
            let items = try first.content.decode(Paper.self).items.map(\.itemId)
            let saves = try await LoadGenerator.storm(port: port, connections: concurrency, seconds: seconds) { n in
                let token = tokens[n % tokens.count]
                let seq = n / tokens.count + 1
                let body = "{\"response\":[\"\(n % 4)\"],\"seq\":\(seq)}"
                return "PUT /api/v1/exam/attempt/answers/\(items[seq % items.count]) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
            }
            print(String(format: "durable saves: %.0f saves/s (p50 %.1f ms, p99 %.1f ms, errors %d) = %.1f%% of the plaintext rate",
                         saves.rate, saves.p50 * 1000, saves.p99 * 1000, saves.errors, saves.rate / max(plain.rate, 1) * 100))
            print("targets: saves/s ≥ 50% of plaintext, p99 ≤ 50 ms, no errors; start burst ≤ 10 s, p99 ≤ 500 ms, no errors")
        }
    }

    /// Runs `body(0..<count)` with at most `concurrency` in flight; results in index order.
    static func run<T: Sendable>(count: Int, concurrency: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: count)
            var next = 0
            while next < min(concurrency, count) { let i = next; group.addTask { (i, try await body(i)) }; next += 1 }
            while let (i, value) = try await group.next() {
                results[i] = value
                if next < count { let j = next; group.addTask { (j, try await body(j)) }; next += 1 }
            }
            return results.compactMap { $0 }
        }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { defer { value += 1 }; return value } }
    }
}

extension ContinuousClock.Instant {
    /// Seconds since this instant.
    var elapsed: Double {
        let d = ContinuousClock.now - self
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
