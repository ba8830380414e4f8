import Crypto
import Foundation
import Testing
@testable import SkillCertCore

@Suite("Audit chain")
struct AuditChainTests {
    func chain(_ n: Int) -> [AuditRecord] {
        var out: [AuditRecord] = []
        var prev = AuditRecord.genesisHash
        for i in 1...n {
            let at = AuditRecord.timestamp(Date(timeIntervalSince1970: 1_795_744_800 + Double(i)))
            let hash = AuditRecord.computeHash(sequence: i, occurredAt: at, actorID: nil, actorName: "admin",
                                               action: "user.update", targetType: "user", targetID: "u\(i)",
                                               reason: i == 2 ? "promotion" : nil, beforeDigest: nil,
                                               afterDigest: StateDigest.of(["roles": ["exam-affairs"]]),
                                               details: "entry \(i)", previousHash: prev)
            out.append(AuditRecord(sequence: i, occurredAt: at, actorID: nil, actorName: "admin", action: "user.update",
                                   targetType: "user", targetID: "u\(i)", reason: i == 2 ? "promotion" : nil,
                                   beforeDigest: nil, afterDigest: StateDigest.of(["roles": ["exam-affairs"]]),
                                   details: "entry \(i)", previousHash: prev, hash: hash))
            prev = hash
        }
        return out
    }

    @Test("an intact chain verifies")
    func intact() {
        #expect(AuditChainVerifier.verify(chain(5)) == nil)
    }

    @Test("an altered field is caught at that entry")
    func altered() {
        var c = chain(5)
        c[2].reason = "changed later"
        #expect(AuditChainVerifier.verify(c) == .hashMismatch(sequence: 3))
    }

    @Test("a recomputed hash is caught at the next entry")
    func rehashed() {
        var c = chain(5)
        c[1].details = "forged"
        c[1].hash = c[1].expectedHash
        #expect(AuditChainVerifier.verify(c) == .previousHashMismatch(sequence: 3))
    }

    @Test("a removed entry is caught as a gap")
    func removed() {
        var c = chain(5)
        c.remove(at: 3)
        #expect(AuditChainVerifier.verify(c) == .sequenceGap(expected: 4, found: 5))
    }

    @Test("timestamps are UTC with milliseconds")
    func timestamp() {
        #expect(AuditRecord.timestamp(Date(timeIntervalSince1970: 1_795_744_800.123)) == "2026-11-27T02:00:00.123Z")
    }

    @Test("hashes are written as the usual hexadecimal text, from contiguous bytes or any sequence")
    func hexadecimal() {
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        #expect(SHA256.hash(data: Data("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let bytes: [UInt8] = [0x00, 0x0f, 0xa0, 0xff]
        #expect(bytes.hexString(uppercase: true) == "000FA0FF")
        let sequence = (0...255).lazy.map { UInt8($0) }.filter { $0 % 85 == 0 }  // not contiguous
        #expect(sequence.hexString == "0055aaff")
        #expect([UInt8]().hexString == "")
    }

    @Test("state digests ignore key order")
    func digest() {
        #expect(StateDigest.of(["a": 1, "b": 2]) == StateDigest.of(["b": 2, "a": 1]))
        #expect(StateDigest.of(["a": 1]) != StateDigest.of(["a": 2]))
    }
}
