import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Certificates: numbering, issuing, replacement, status, signed credentials")
struct CertificateStoreTests {
    let sealer = ExamFixture.sealer
    let links = CertificateStore.Links(base: "https://certs.example.cn")

    func issue(_ t: TestApp, _ plan: FinalPlan, signer: CredentialSigner) async throws -> [CertificateRecord] {
        try await issue(t, plan.planID, plan.staff.actor, signer: signer).0
    }

    /// Issues and returns how many (for concurrent batches, which cannot share the records).
    func issue(_ t: TestApp, _ planID: UUID, _ actor: AuditActor, signer: CredentialSigner) async throws -> ([CertificateRecord], Int) {
        let numbers = try await CertificateStore.issue(planID: planID, actor: actor, sealer: sealer, signer: signer, links: links, chunk: 2,
                                                       on: t.db, time: t.time)
        let records = try await CertificateRecord.query(on: t.db).filter(\.$number ~~ numbers).sort(\.$statusIndex).all()
        #expect(records.map(\.number) == numbers)
        return (records, numbers.count)
    }

    @Test("numbers follow the national format; serials count per (body, site, year, level) from 000001, never twice, and any skipped has a reason, also when batches run at once")
    func numbering() async throws {
        try await TestApp.with { t in
            let first = try await FinalPlan.make(t, candidates: 5)
            let second = try await first.another(t, candidates: 4, from: 50)
            let signer = CredentialSigner(sealer: sealer)
            // Both plans at once, and the first plan twice over: nine certificates with nine distinct serials. A serial
            // that a run reserved and did not use (the other run of the first plan issued that candidate) is recorded.
            let (p1, p2, actor) = (first.planID, second.planID, first.staff.actor)
            async let a = issue(t, p1, actor, signer: signer).1
            async let b = issue(t, p2, actor, signer: signer).1
            async let c = issue(t, p1, actor, signer: signer).1
            let issued = try await a + b + c
            #expect(issued == 9)
            let all = try await CertificateRecord.query(on: t.db).all()
            #expect(all.count == 9 && Set(all.map(\.number)).count == 9 && Set(all.map(\.statusIndex)).count == 9)
            // Body S 0123, Jiangsu 32, site 320102, year 26 (the test clock is in 2026), level 4.
            #expect(all.allSatisfy { $0.number.range(of: #"^S0123323201022640\d{5}$"#, options: .regularExpression) != nil && CertificateNumber.isValid($0.number) })
            let serials = Set(all.compactMap { CertificateNumber($0.number)?.serial })
            let reservations = try await CertificateReservation.query(on: t.db).filter(\.$kind == "serial").all()
            let unused = reservations.flatMap { r in r.unused.map { SerialRanges.serials($0) } ?? [] }
            #expect(reservations.allSatisfy { $0.closedAt != nil && ($0.unusedCount == 0) == ($0.reason == nil) })
            #expect(serials.isDisjoint(with: unused) && serials.union(unused) == Set(1...(9 + unused.count)))
            #expect(try await CertificateStore.pending(planID: first.planID, on: t.db).isEmpty)
            let audit = try await AuditEntry.query(on: t.db).filter(\.$action == "certificate.issue").all()
            #expect(audit.count == 9 && Set(audit.compactMap(\.targetID)) == Set(all.map(\.number)))
            // The entries written in bulk continue the hash chain unbroken.
            guard case .success = try await AuditLog.verify(on: t.db) else { Issue.record("the audit chain is broken"); return }
            #expect(try await CertificateEvent.query(on: t.db).filter(\.$kind == "issued").count() == 9)
        }
    }

    @Test("base64url matches Foundation's base64 with the URL alphabet and no padding, and base64 matches it exactly, for every length mod 3")
    func base64url() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(CredentialSigner.base64url(bytes) == expected)
            #expect(Base64.encoded(bytes) == Data(bytes).base64EncodedString())  // the standard variant, padded, as sealed values use it
        }
    }

    @Test("the credential's hand-written JSON is what JSONEncoder writes, member for member, also for names with quotes and control characters")
    func credentialJSON() throws {
        let c = CertificateRecord()
        (c.number, c.fullName, c.occupationCode, c.occupationName, c.workType) = ("S012332320102264000123", "王\"小\\明\n🙂", "6-31-01-03", "电工", "--")
        (c.level, c.issueDate, c.bodyName, c.statusIndex) = (4, "2026-11-28", "示例中心\t（示例）", 77)
        let credential = CertificateStore.credential(for: .init(c), idNumber: "11010519800101002X", links: links)
        let handWritten = try JSONSerialization.jsonObject(with: Data(credential.json.utf8)) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(credential)) as? NSDictionary
        #expect(handWritten != nil && handWritten == encoded)
        #expect(try JSONDecoder().decode(CertificateCredential.self, from: Data(credential.json.utf8)) == credential)
        #expect(credential.validFrom == "2026-11-27T16:00:00Z")
    }

    @Test("a run reserves its serials first; those another run issued meanwhile stay unused, recorded with the reason and audited")
    func reservedSerialsUsedElsewhere() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 5)
            let (db, time, sealer, links, actor, planID) = (t.db, t.time, sealer, links, plan.staff.actor, plan.planID)
            let signer = CredentialSigner(sealer: sealer)
            // After the first run's first chunk, a second run issues the other three.
            let first = try await CertificateStore.issue(planID: planID, actor: actor, sealer: sealer, signer: signer, links: links, chunk: 2,
                                                         on: db, time: time) { p in
                guard p.done == 2 else { return }
                _ = try? await CertificateStore.issue(planID: planID, actor: actor, sealer: sealer, signer: signer, links: links, chunk: 2, on: db, time: time)
            }
            #expect(first.count == 2)
            let all = try await CertificateRecord.query(on: t.db).all()
            let serials = all.compactMap { CertificateNumber($0.number)?.serial }
            #expect(all.count == 5 && Set(serials).count == 5 && Set(all.map(\.statusIndex)).count == 5)
            #expect(Set(serials) == [1, 2, 6, 7, 8])
            let reservations = try await CertificateReservation.query(on: t.db).filter(\.$kind == "serial").sort(\.$first).all()
            #expect(reservations.map { "\($0.first)-\($0.last)" } == ["1-5", "6-8"])
            #expect(reservations.allSatisfy { $0.closedAt != nil })
            #expect(reservations[0].unused == "3-5" && reservations[0].unusedCount == 3 && reservations[0].reason?.contains("另一签发批次") == true)
            #expect(reservations[1].unused == "" && reservations[1].unusedCount == 0 && reservations[1].reason == nil)
            let gaps = try await AuditEntry.query(on: t.db).filter(\.$action == "certificate.serial-gap").all()
            #expect(gaps.count == 1 && gaps[0].details.contains("3-5") && gaps[0].reason?.contains("另一签发批次") == true)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "certificate.reserve").count() == 2)
            guard case .success = try await AuditLog.verify(on: t.db) else { Issue.record("the audit chain is broken"); return }
        }
    }

    @Test("a run that stops part-way keeps the chunks it committed and records the serials it did not use, with the reason")
    func interruptedRun() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 5)
            let (db, time, sealer, links, actor, planID) = (t.db, t.time, sealer, links, plan.staff.actor, plan.planID)
            let last = try #require(try await CertificateStore.pending(planID: planID, on: t.db).last).candidateID
            // After the first chunk the last candidate (in the third chunk) loses the ID number on record.
            let code = await failureCode {
                _ = try await CertificateStore.issue(planID: planID, actor: actor, sealer: sealer, signer: CredentialSigner(sealer: sealer), links: links,
                                                     chunk: 2, on: db, time: time) { p in
                    guard p.done == 2 else { return }
                    try? await CandidateProfile.query(on: db).filter(\.$userID == last).set(\.$idNumberCipher, to: nil).update()
                }
            }
            #expect(code == "no_id_number")
            #expect(try await CertificateRecord.query(on: t.db).count() == 4)
            let r = try #require(try await CertificateReservation.query(on: t.db).filter(\.$kind == "serial").first())
            #expect(r.first == 1 && r.last == 5 && r.closedAt != nil && r.unused == "5" && r.unusedCount == 1)
            #expect(r.reason?.contains("签发中断") == true)
            // Issuing again names the candidate's missing ID number before reserving anything.
            #expect(await failureCode { _ = try await issue(t, plan, signer: CredentialSigner(sealer: sealer)) } == "no_id_number")
            #expect(try await CertificateReservation.query(on: t.db).count() == 2)
        }
    }

    @Test("a plan whose publicity has not ended gets no certificates")
    func notFinal() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 1)
            try await PublicityRecord.query(on: t.db).set(\.$finalizedAt, to: nil).update()
            #expect(await failureCode { _ = try await issue(t, plan, signer: CredentialSigner(sealer: sealer)) } == "not_final")
        }
    }

    @Test("a replacement keeps the number with the next print serial; revocation sets the certificate's bit and is final")
    func replaceAndRevoke() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 3)
            let issued = try await issue(t, plan, signer: CredentialSigner(sealer: sealer))
            let c = issued[1]
            #expect(await failureCode { _ = try await CertificateStore.replace(c, reason: " ", actor: plan.staff.actor, on: t.db, time: t.time) } == "required:reason")
            let replaced = try await CertificateStore.replace(c, reason: "原证书遗失", actor: plan.staff.actor, on: t.db, time: t.time)
            #expect(replaced.number == c.number && replaced.printSerial == 2)

            try await CertificateStore.setStatus(c, to: .suspended, reason: "举报核查中", actor: plan.staff.actor, on: t.db, time: t.time)
            var suspension = try await CertificateStore.statusBits(purpose: "suspension", on: t.db)
            #expect(suspension.count == 16_384 && suspension[c.statusIndex / 8] & UInt8(0x80 >> (c.statusIndex % 8)) != 0)
            try await CertificateStore.setStatus(c, to: .revoked, reason: "经核查，考试作弊", actor: plan.staff.actor, on: t.db, time: t.time)
            let revocation = try await CertificateStore.statusBits(purpose: "revocation", on: t.db)
            suspension = try await CertificateStore.statusBits(purpose: "suspension", on: t.db)
            #expect(revocation[c.statusIndex / 8] & UInt8(0x80 >> (c.statusIndex % 8)) != 0)
            #expect(suspension.allSatisfy { $0 == 0 } && revocation.filter { $0 != 0 }.count == 1)
            #expect(await failureCode { _ = try await CertificateStore.setStatus(c, to: .valid, reason: "误判", actor: plan.staff.actor, on: t.db, time: t.time) } == "revoked")
            #expect(await failureCode { _ = try await CertificateStore.replace(c, reason: "再补", actor: plan.staff.actor, on: t.db, time: t.time) } == "revoked")
            #expect(try await CertificateStore.find(number: c.number, on: t.db)?.statusValue == .revoked)
            let kinds = try await CertificateStore.events(c, on: t.db).map(\.kind)
            #expect(kinds == ["issued", "replaced", "suspended", "revoked"])
        }
    }

    @Test("the credential verifies with the published key, also after a rotation; a changed byte does not")
    func credentials() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 1)
            let signer = CredentialSigner(sealer: sealer)
            let c = try #require(try await issue(t, plan, signer: signer).first)
            let parts = c.credential.split(separator: ".")
            #expect(parts.count == 3)
            let header = try #require(Data(base64URL: String(parts[0])).flatMap { try JSONSerialization.jsonObject(with: $0) as? [String: Any] })
            #expect(header["alg"] as? String == "EdDSA" && header["typ"] as? String == "vc+jwt" && (header["kid"] as? String)?.isEmpty == false)
            let credential = try await signer.verify(c.credential, on: t.db)
            #expect(credential.type == ["VerifiableCredential", "OpenBadgeCredential"] && credential.credentialSubject.achievement.humanCode == c.number)
            #expect(credential.credentialSubject.name == c.fullName && credential.id == "https://certs.example.cn/verify/\(c.number)")
            #expect(credential.credentialStatus.map(\.statusPurpose) == ["revocation", "suspension"])

            var bytes = Array(c.credential.utf8)
            bytes[bytes.count - 5] = bytes[bytes.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            await #expect(throws: (any Error).self) { _ = try await signer.verify(String(decoding: bytes, as: UTF8.self), on: t.db) }

            let old = String(header["kid"] as! String)
            let new = try await CredentialSigner.rotate(sealer: sealer, actor: plan.staff.actor, on: t.db, time: t.time)
            #expect(new != old)
            let jwks = try await CredentialSigner.jwks(on: t.db)
            #expect(jwks.contains(old) && jwks.contains(new) && jwks.contains("\"crv\":\"Ed25519\""))
            // A fresh signer (another process) still verifies the old credential.
            #expect(try await CredentialSigner(sealer: sealer).verify(c.credential, on: t.db).credentialSubject.achievement.humanCode == c.number)
        }
    }

    @Test("the public search needs the name and the full ID number")
    func search() async throws {
        try await TestApp.with { t in
            let plan = try await FinalPlan.make(t, candidates: 2)
            _ = try await issue(t, plan, signer: CredentialSigner(sealer: sealer))
            let id = ResidentID.completing("32010219900101000")!
            #expect(try await CertificateStore.search(name: "考生0", idNumber: id, sealer: sealer, on: t.db).count == 1)
            #expect(try await CertificateStore.search(name: "考生1", idNumber: id, sealer: sealer, on: t.db).isEmpty)
            #expect(try await CertificateStore.search(name: "考生0", idNumber: "320102199001010000", sealer: sealer, on: t.db).isEmpty)
        }
    }
}

extension Data {
    init?(base64URL: String) {
        var s = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        self.init(base64Encoded: s)
    }
}
