import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Standards in the database")
struct StandardStoreTests {
    @Test("export each shipped standard, import it into an empty database, export again: identical")
    func roundTrip() async throws {
        // setup: the exports from an installation with the shipped standards
        let exported = try await TestApp.with { t in
            let rows = try await StandardStore.list(on: t.db)
            #expect(rows.count == 3)
            #expect(rows.allSatisfy { $0.statusValue == .inUse })
            return try rows.map { try StandardCodec.encode(try $0.standard()) }
        }
        // MUT: import into an installation whose standards table is empty
        try await TestApp.with { t in
            try await StoredStandard.query(on: t.db).delete()
            for text in exported {
                try await StandardStore.importYAML(text, status: .inUse, reason: "round trip", on: t.db, actor: .system("test"),
                                                   time: t.time)
            }
            let again = try await StandardStore.list(on: t.db).map { try StandardCodec.encode(try $0.standard()) }
            // validate
            #expect(again == exported)
        }
    }

    @Test("the shipped data: 电工 has weight tables and 30+ element theory tables for 四级 and 三级")
    func shippedContent() throws {
        let all = try StandardCodec.shipped()
        let electrician = try #require(all.first { $0.occupation.code == "6-31-01-03" })
        #expect(electrician.offeredLevels.map(\.number) == [1, 2, 3, 4, 5])
        for level in [4, 3] {
            let table = try #require(electrician.spec(for: Level(level))?.elementTables?.first { $0.part == .theory })
            #expect(table.elementCount >= 30)
        }
        #expect(electrician.theoryWeights?.levels.count == 5)
        #expect(electrician.skillWeights?.levels.allSatisfy { electrician.skillWeights?.total(for: $0) == 100 } == true)
        let labour = try #require(all.first { $0.occupation.code == "4-07-03-02" })
        #expect(labour.offeredLevels.map(\.number).sorted() == [1, 2, 3, 4])
        #expect(all.contains { $0.occupation.classificationEdition == "2022" && $0.occupation.flags == ["S"] })
    }

    @Test("an edition in use cannot be edited, only superseded by a new edition")
    func lifecycle() async throws {
        try await TestApp.with { t in
            let inUse = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db)
            let yaml = try StandardCodec.encode(try inUse.standard())
            await #expect(throws: DomainError.self) {
                try await StandardStore.updateDraft(id: try inUse.requireID(), yaml: yaml, reason: nil, on: t.db,
                                                    actor: .system("test"), time: t.time)
            }
            await #expect(throws: DomainError.self) {
                try await StandardStore.importYAML(yaml, reason: nil, on: t.db, actor: .system("test"), time: t.time)
            }
            // A new edition starts as an editable draft copy.
            let draft = try await StandardStore.newEdition(from: try inUse.requireID(), edition: "2026",
                                                           documentNumber: "人社厅发〔2026〕1号", on: t.db,
                                                           actor: .system("test"), time: t.time)
            #expect(draft.statusValue == .draft)
            var edited = try draft.standard()
            edited.levels[0].parts[0].minutes = 100
            try await StandardStore.updateDraft(id: try draft.requireID(), yaml: try StandardCodec.encode(edited),
                                                reason: "延长理论考试", on: t.db, actor: .system("test"), time: t.time)
            #expect(try await StandardStore.find(id: try draft.requireID(), on: t.db).standard().levels[0].parts[0].minutes == 100)
            try await StandardStore.transition(id: try draft.requireID(), to: .inUse, reason: "", on: t.db,
                                               actor: .system("test"), time: t.time)
            try await StandardStore.transition(id: try inUse.requireID(), to: .superseded, reason: "2026 版发布", on: t.db,
                                               actor: .system("test"), time: t.time)
            #expect(try await StandardStore.find(id: try inUse.requireID(), on: t.db).statusValue == .superseded)
            // The old edition is still there, unchanged, for the records that used it.
            #expect(try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: t.db).document == inUse.document)
            let actions = try await AuditEntry.query(on: t.db).filter(\.$targetType == "standard").all().map(\.action)
            #expect(actions.contains("standard.in-use") && actions.contains("standard.superseded"))
        }
    }

    @Test("a document with errors names each path and imports nothing")
    func badDocument() async throws {
        try await TestApp.with { t in
            var s = try #require(try StandardCodec.shipped().first { $0.occupation.code == "6-31-01-03" })
            s.occupation.code = "9-99-99-9"
            s.edition.edition = "2030"
            s.levels[0].parts[0].minutes = 0
            s.levels[1].eligibility[0].all = []
            if var weights = s.theoryWeights {
                weights.rows[0].percents[0] += 1
                s.theoryWeights = weights
            }
            let before = try await StoredStandard.query(on: t.db).count()
            do {
                try await StandardStore.importYAML(try StandardCodec.encode(s), reason: nil, on: t.db, actor: .system("test"),
                                                   time: t.time)
                Issue.record("import should fail")
            } catch let failure as ValidationFailure {
                let fields = Set(failure.errors.map(\.field))
                #expect(fields.isSuperset(of: ["occupation.code", "levels[0].parts[0].minutes", "levels[1].eligibility[0].all", "theoryWeights"]))
            }
            do {
                _ = try StandardCodec.decode("schemaVersion: 1\noccupation: {code: 6-31-01-03}\n")
                Issue.record("decode should fail")
            } catch let failure as ValidationFailure {
                #expect(failure.errors.first?.field.hasPrefix("occupation.") == true)
            }
            do {
                _ = try StandardCodec.decode(try StandardCodec.encode(s).replacingOccurrences(of: "part: theory", with: "part: theroy"))
                Issue.record("decode should fail")
            } catch let failure as ValidationFailure {
                #expect(failure.errors.first?.code == "invalid_value")
                #expect(failure.errors.first?.field.contains("parts[0].part") == true)
            }
            #expect(try await StoredStandard.query(on: t.db).count() == before)
        }
    }
}
