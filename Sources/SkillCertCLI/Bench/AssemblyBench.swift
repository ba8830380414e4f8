import ArgumentParser
import Foundation
import SkillCertCore

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (run on a release build).",
                                                    subcommands: [AssemblyBench.self, ImportBench.self, ImportRun.self, ExamBench.self,
                                                                  CertificateBench.self, CertificatePDFRun.self])
}

/// `skillcert bench assembly`: a synthetic bank of 100,000 items over 60+ cells, 100 parallel forms of 100 items with an
/// overlap limit, checked for violations; then the same instance as a 0-1 integer program with HiGHS for comparison.
struct AssemblyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "assembly", abstract: "Paper assembly against HiGHS.")

    @ArgumentParser.Option(help: "Items in the synthetic bank.") var items = 100_000
    @ArgumentParser.Option(help: "Scopes (cells are scopes × 3 item types).") var scopes = 25
    @ArgumentParser.Option(help: "Parallel forms to assemble.") var forms = 100
    @ArgumentParser.Option(help: "Maximum items shared by any two forms.") var overlap = 10
    @ArgumentParser.Option(help: "Enemy pairs in the bank.") var enemies = 500
    @ArgumentParser.Option(help: "Seed.") var seed: UInt64 = 1
    @ArgumentParser.Option(help: "HiGHS time limit in seconds (0 skips HiGHS).") var highsTimeLimit = 60
    @ArgumentParser.Option(help: "Python with highspy (scripts/install-deps.sh installs it in .venv).") var python = ".venv/bin/python"

    func run() async throws {
        // The blueprint: every scope has 2 single-choice, 1 true/false and 1 multiple-choice item of 1 point,
        // so 25 scopes give 75 cells and a form of 100 items and 100 points.
        var rng = SeededGenerator(seed: seed)
        let scopeNames = (0..<scopes).map { i in i < 26 ? String(UnicodeScalar(UInt8(65 + i))) : "S\(i)" }
        var blueprint = Blueprint(cells: scopeNames.flatMap { s in
            [Blueprint.Cell(scope: s, type: .singleChoice, count: 2, pointsEach: 1),
             Blueprint.Cell(scope: s, type: .trueFalse, count: 1, pointsEach: 1),
             Blueprint.Cell(scope: s, type: .multipleChoice, count: 1, pointsEach: 1)]
        })
        blueprint.maxOverlap = overlap
        blueprint.exposureLimit = Int.max
        guard blueprint.totalPoints == 100 else {
            throw ValidationError("--scopes must be 25 so that a form has 100 items and 100 points")
        }
        let cells = blueprint.cells
        let needed = cells.reduce(0) { $0 + $1.count }

        // The bank: each cell's pool in proportion to what a form takes from it.
        var bank: [BankItem] = []
        bank.reserveCapacity(items)
        for cell in cells {
            let share = max(cell.count * forms / 2, Int((Double(items) * Double(cell.count) / Double(needed)).rounded()))
            for _ in 0..<share where bank.count < items + cells.count * forms {
                bank.append(BankItem(id: bank.count, cell: cell.key, difficulty: Double.random(in: 0.45...0.95, using: &rng)))
            }
        }
        var pairs: [(Int, Int)] = []
        for _ in 0..<enemies {
            let a = Int.random(in: 0..<bank.count, using: &rng)
            let b = Int.random(in: 0..<bank.count, using: &rng)
            if a != b { pairs.append((a, b)) }
        }
        print("bank: \(bank.count) items, \(cells.count) cells, \(pairs.count) enemy pairs; \(forms) forms × \(needed) items, overlap ≤ \(overlap)")

        // SkillCert's assembler.
        let clock = ContinuousClock()
        var drawn: [AssembledForm] = []
        let elapsed = try clock.measure {
            drawn = try PaperAssembler.assemble(blueprint: blueprint, bank: bank, enemies: pairs, forms: forms, seed: seed)
        }
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let check = Self.verify(drawn, blueprint: blueprint, bank: bank, enemies: pairs)
        print(String(format: "SkillCert: %d forms in %.1f ms (%.2f ms/form); violations %d; largest pairwise overlap %d; difficulty %.3f–%.3f",
                     drawn.count, ms, ms / Double(max(drawn.count, 1)), check.violations, check.maxOverlap,
                     drawn.map(\.difficulty).min() ?? 0, drawn.map(\.difficulty).max() ?? 0))

        guard highsTimeLimit > 0 else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skillcert-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let instance = folder.appendingPathComponent("instance.json")
        let json: [String: Any] = [
            "forms": forms, "maxOverlap": overlap, "difficultyTarget": blueprint.difficultyTarget,
            "difficultyTolerance": blueprint.difficultyTolerance,
            "cells": cells.map { ["key": $0.key.description, "count": $0.count, "pointsEach": $0.pointsEach] },
            "items": bank.map { ["id": $0.id, "cell": $0.cell.description, "difficulty": $0.difficulty] },
            "enemies": pairs.map { [$0.0, $0.1] },
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: instance)
        let script = URL(fileURLWithPath: "scripts/bench/assembly_highs.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path, instance.path, "--time-limit", String(highsTimeLimit)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        let started = clock.now
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let wall = clock.now - started
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        guard let result = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            print("HiGHS: no result (exit \(process.terminationStatus)): \(String(decoding: data, as: UTF8.self))")
            return
        }
        let solve = result["solveSeconds"] as? Double ?? wallSeconds
        let build = result["buildSeconds"] as? Double ?? 0
        print(String(format: "HiGHS: %@, status %@; build %.1f s + solve %.1f s (wall %.1f s); forms found %d of %d; violations %@; largest overlap %@; %@",
                     "\(result["solver"] ?? "?")", "\(result["status"] ?? "?")", build, solve, wallSeconds,
                     result["formsFound"] as? Int ?? 0, forms, "\(result["violations"] ?? "?")", "\(result["maxOverlap"] ?? "?")",
                     (result["restricted"] as? Bool ?? false) ? "restricted model: \(result["note"] ?? "")" : "full model"))
        print(String(format: "speed-up: %.0f× (SkillCert %.3f s vs HiGHS %.1f s)", (build + solve) / max(ms / 1000, 1e-9), ms / 1000, build + solve))
    }

    /// Checks every constraint of every form: counts per cell, 100 points, difficulty window, enemies, overlap.
    static func verify(_ forms: [AssembledForm], blueprint: Blueprint, bank: [BankItem], enemies: [(Int, Int)])
        -> (violations: Int, maxOverlap: Int) {
        var violations = 0
        let cellOf = Dictionary(uniqueKeysWithValues: bank.map { ($0.id, $0.cell) })
        for f in forms {
            if f.totalPoints != blueprint.totalPoints { violations += 1 }
            if abs(f.difficulty - blueprint.difficultyTarget) > blueprint.difficultyTolerance + 1e-9 { violations += 1 }
            for cell in blueprint.cells where f.itemIDs.filter({ cellOf[$0] == cell.key }).count != cell.count { violations += 1 }
            let ids = Set(f.itemIDs)
            if ids.count != f.itemIDs.count { violations += 1 }
            violations += enemies.filter { ids.contains($0.0) && ids.contains($0.1) }.count
        }
        var maxOverlap = 0
        let sets = forms.map { Set($0.itemIDs) }
        for a in sets.indices {
            for b in sets.indices where b > a {
                let o = sets[a].intersection(sets[b]).count
                maxOverlap = max(maxOverlap, o)
                if o > blueprint.maxOverlap { violations += 1 }
            }
        }
        return (violations, maxOverlap)
    }
}
