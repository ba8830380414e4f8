import Testing
@testable import SkillCertCore

@Suite("Resident ID numbers (GB 11643)")
struct ResidentIDTests {
    let today = LocalDate(iso: "2026-11-27")!

    @Test("a valid number gives its birth date and sex")
    func valid() throws {
        // 11010519491231002X is the standard's own example: born 1949-12-31, female, check character X.
        let id = try ResidentID.parse("11010519491231002x", today: today).get()
        #expect(id.number == "11010519491231002X")
        #expect(id.birthDate == LocalDate(iso: "1949-12-31"))
        #expect(id.sex == .female)
        let male = try ResidentID.parse("440524188001010014", today: today).get()
        #expect(male.sex == .male)
        #expect(male.birthDate == LocalDate(iso: "1880-01-01"))
    }

    @Test("each kind of bad number is named")
    func invalid() {
        #expect(ResidentID.parse("110105194912310021", today: today) == .failure(.checkDigitMismatch(expected: "X")))
        #expect(ResidentID.parse("110105491231002", today: today) == .failure(.legacyFifteenDigits))
        #expect(ResidentID.parse("1101051949123100", today: today) == .failure(.wrongLength(16)))
        #expect(ResidentID.parse("11010519491331002X", today: today) == .failure(.badBirthDate))
        #expect(ResidentID.parse("1101051949123A002X", today: today) == .failure(.notDigits))
        #expect(ResidentID.parse("110105203001010011", today: today).isFailure)
        #expect(ResidentID.parse("110105194912310021", today: today).failureValue?.messageZH.contains("校验位") == true)
        #expect(ResidentID.parse("110105491231002", today: today).failureValue?.messageZH.contains("15 位") == true)
    }

    @Test("lists show the number masked")
    func mask() {
        #expect(ResidentID.mask("110105194912311234") == "110105********1234")
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
    var failureValue: Failure? { if case .failure(let f) = self { f } else { nil } }
}
