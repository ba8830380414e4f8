import SkillCertCore
import Testing

@Suite("Certificate numbers and serial ranges")
struct CertificateNumberTests {
    @Test("a number is 1 letter and 21 digits, zero-padded, and reads back into its parts")
    func format() throws {
        let n = CertificateNumber(bodyType: .trainingOrganisation, bodyCode: "0123", provinceCode: "32", siteCode: "320102", year: 2026, level: 4, serial: 42)
        #expect(n.description == "S01233232010226" + "4" + "000042")
        #expect(CertificateNumber.isValid(n.description) && CertificateNumber(n.description) == n)
        #expect(CertificateNumber.digits(7, 2) == "07" && CertificateNumber.digits(999_999, 6) == "999999" && CertificateNumber.digits(1_234_567, 6) == "1234567")
    }

    @Test("unused serials are written as ranges and read back")
    func ranges() {
        #expect(SerialRanges.text([]) == "")
        #expect(SerialRanges.text([9, 3, 4, 5, 12, 13]) == "3-5,9,12-13")
        #expect(SerialRanges.serials("3-5,9,12-13") == [3, 4, 5, 9, 12, 13])
        #expect(SerialRanges.serials("") == [])
    }
}
