import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
import Vapor

/// Durability: a real server process takes a storm of autosaves and is killed with SIGKILL in the middle; after a
/// restart every save it acknowledged is there with its latest value. Runs on SQLite and on PostgreSQL.
@Suite("Exam durability under a crash")
struct ExamCrashTests {
    final class Server: @unchecked Sendable {
        let process = Process()
        let port: Int

        init(environment: [String: String]) throws {
            port = Int.random(in: 20_000..<40_000)
            process.executableURL = Repository.binary
            process.arguments = ["serve", "--port", String(port), "--log-level", "error"]
            var env = ProcessInfo.processInfo.environment
            environment.forEach { env[$0.key] = $0.value }
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        var base: String { "http://127.0.0.1:\(port)" }

        func ready(_ client: any Client) async throws {
            for _ in 0..<300 {
                if let r = try? await client.get(URI(string: base + "/readyz")), r.status == .ok { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw Abort(.internalServerError, reason: "the server did not start")
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    struct Acknowledged: Sendable {
        var seq: Int
        var response: [String]
    }

    @Test("every acknowledged save survives SIGKILL of the server mid-storm")
    func crash() async throws {
        try await TestApp.withTemporaryFolder("crash") { folder in
            let keyFile = folder.appendingPathComponent("content.key").path
            try TestApp.contentKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
            try await TestApp.with(configure: { config in
                if !config.database.isPostgres { config.database = .sqliteFile(path: folder.appendingPathComponent("crash.sqlite").path) }
            }) { t in
                let env = ["DATABASE_URL": try #require(t.databaseURL), "SKILLCERT_CONTENT_KEY_FILE": keyFile, "SKILLCERT_BCRYPT_COST": "4",
                           "SKILLCERT_FILES_DIR": folder.appendingPathComponent("files").path]
                let demo = try Repository.run(Repository.binary, ["demo", "--open-session", "--candidates", "4", "--json"], environment: env)
                #expect(demo.status == 0, "\(demo.output)")
                let line = try #require(demo.output.split(separator: "\n").last { $0.hasPrefix("{") })
                let opened = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                let logins = try #require(opened?["logins"] as? [[String: String]])

                let client = t.app.client
                var server = try Server(environment: env)
                try await server.ready(client)
                var tokens: [String] = []
                var items: [String] = []
                for login in logins {
                    let r = try await client.post(URI(string: server.base + "/api/v1/exam/login")) { req in
                        try req.content.encode(["ticketNumber": login["ticketNumber"]!, "idNumber": login["idNumber"]!])
                    }
                    let token = try #require(try r.content.decode([String: String].self)["token"])
                    tokens.append(token)
                    let paper = try await client.get(URI(string: server.base + "/api/v1/exam/attempt")) { $0.headers.bearerAuthorization = .init(token: token) }
                    struct Paper: Decodable { struct Item: Decodable { var itemId: String }; var items: [Item] }
                    items = try paper.content.decode(Paper.self).items.prefix(12).map(\.itemId)
                }

                // The storm: each candidate changes answers as fast as the server takes them; acknowledged saves are noted.
                let base = server.base
                let (stormTokens, stormItems) = (tokens, items)
                let storm = Task { () -> [Int: [String: Acknowledged]] in
                    await withTaskGroup(of: (Int, [String: Acknowledged]).self) { group in
                        for (index, token) in stormTokens.enumerated() {
                            group.addTask {
                                var acked: [String: Acknowledged] = [:]
                                var seq = 0
                                while !Task.isCancelled {
                                    seq += 1
                                    let item = stormItems[seq % stormItems.count]
                                    let response = [String(seq % 4)]
                                    guard let r = try? await client.put(URI(string: base + "/api/v1/exam/attempt/answers/\(item)"), beforeSend: { req in
                                        req.headers.bearerAuthorization = .init(token: token)
                                        try req.content.encode(Save(response: response, seq: seq))
                                    }) else { break }
                                    if r.status == .ok { acked[item] = Acknowledged(seq: seq, response: response) } else { break }
                                }
                                return (index, acked)
                            }
                        }
                        var all: [Int: [String: Acknowledged]] = [:]
                        for await (index, acked) in group { all[index] = acked }
                        return all
                    }
                }
                try await Task.sleep(for: .milliseconds(1500))
                server.kill()
                let acknowledged = await storm.value
                // Every candidate had saves acknowledged before the kill (about 50–80 each in a debug build).
                #expect(tokens.indices.allSatisfy { (acknowledged[$0]?.count ?? 0) > 0 }, "a candidate had no save acknowledged before the kill")

                // Restarted: every acknowledged save is there, with the latest acknowledged value (or a newer one).
                server = try Server(environment: env)
                try await server.ready(client)
                defer { server.kill() }
                struct Saved: Decodable { var response: [String]; var seq: Int }
                struct Answers: Decodable { var answers: [String: Saved] }
                var checked = 0
                for (i, token) in tokens.enumerated() {
                    let r = try await client.get(URI(string: server.base + "/api/v1/exam/attempt")) { $0.headers.bearerAuthorization = .init(token: token) }
                    let stored = try r.content.decode(Answers.self).answers
                    for (item, a) in acknowledged[i] ?? [:] {
                        let s = try #require(stored[item], "acknowledged save of item \(item) (seq \(a.seq)) is missing")
                        #expect(s.seq >= a.seq, "item \(item): stored seq \(s.seq) is older than the acknowledged \(a.seq)")
                        if s.seq == a.seq { #expect(s.response == a.response) }
                        checked += 1
                    }
                }
                #expect(checked == acknowledged.values.map(\.count).reduce(0, +))
            }
        }
    }
}

struct Save: Content {
    var response: [String]
    var seq: Int
}
