import Foundation

/// When a session runs: a date, a start (minutes after midnight, China time) and a duration.
public struct TimeSlot: Sendable, Equatable, Codable {
    public var date: LocalDate
    public var startMinute: Int
    public var minutes: Int

    public init(date: LocalDate, startMinute: Int, minutes: Int) {
        self.date = date
        self.startMinute = startMinute
        self.minutes = minutes
    }

    public var endMinute: Int { startMinute + minutes }

    /// The instants the slot starts and ends (the slot is in China's time, UTC+8).
    public var start: Date { Date(timeIntervalSince1970: Double(date.dayNumber * 86_400 + startMinute * 60 - 8 * 3600)) }
    public var end: Date { start.addingTimeInterval(Double(minutes * 60)) }

    /// Two slots overlap when they share any minute (back-to-back sessions do not).
    public func overlaps(_ other: TimeSlot) -> Bool {
        date == other.date && startMinute < other.endMinute && other.startMinute < endMinute
    }

    /// `09:00–10:30`.
    public var timeText: String { "\(Self.clock(startMinute))–\(Self.clock(endMinute))" }

    public static func clock(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60 % 24, minute % 60) }

    /// `09:30` → 570.
    public static func minute(of text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        return h * 60 + m
    }
}

/// What a person does in a session.
public enum StaffRole: String, Sendable, CaseIterable, Codable {
    case invigilator, examiner, chiefExaminer = "chief-examiner", supervisor

    public var nameZH: String {
        switch self {
        case .invigilator: "监考员"
        case .examiner: "考评员"
        case .chiefExaminer: "考评组长"
        case .supervisor: "督导员"
        }
    }
}

/// The staffing rules of the standard's ratios, checked for one session: per room (a theory room, a skills station,
/// a review panel) and for the session as a whole.
public enum StaffingRule {
    /// The people needed in one room of `candidates`.
    public static func required(part: AssessmentPartKind, candidates: Int, ratios: StaffingRatios) -> (role: StaffRole, count: Int) {
        switch part {
        case .theory:
            let byRatio = (candidates + ratios.theoryCandidatesPerInvigilator - 1) / max(ratios.theoryCandidatesPerInvigilator, 1)
            return (.invigilator, max(ratios.theoryMinInvigilatorsPerRoom, byRatio))
        case .skills:
            let byRatio = (candidates + ratios.skillsCandidatesPerExaminer - 1) / max(ratios.skillsCandidatesPerExaminer, 1)
            let n = max(ratios.skillsMinExaminers, byRatio)
            return (.examiner, n % 2 == 0 ? n + 1 : n)
        case .comprehensiveReview:
            let n = max(ratios.reviewPanelMin, 3)
            return (.examiner, n % 2 == 0 ? n + 1 : n)
        }
    }

    /// One room's head count and staff.
    public struct Room: Sendable {
        public var name: String
        public var candidates: Int
        public var staff: [StaffRole: Int]

        public init(name: String, candidates: Int, staff: [StaffRole: Int]) {
            self.name = name
            self.candidates = candidates
            self.staff = staff
        }
    }

    /// Every way the staffing falls short, in words an exam-affairs clerk understands.
    public static func problems(part: AssessmentPartKind, rooms: [Room], supervisors: Int, ratios: StaffingRatios) -> [FieldError] {
        var problems: [FieldError] = []
        for room in rooms where room.candidates > 0 {
            let need = required(part: part, candidates: room.candidates, ratios: ratios)
            let have = room.staff[need.role] ?? 0
            // Examiners on a skills station or a review panel score together: their number must be odd.
            let oddRule = need.role == .examiner
            if have < need.count {
                problems.append(FieldError(code: "understaffed", field: "staff",
                                           zh: "\(room.name)：\(room.candidates) 名考生需要至少 \(need.count) 名\(need.role.nameZH)，现有 \(have) 名",
                                           en: "\(room.name): \(room.candidates) candidates need at least \(need.count) \(need.role.rawValue)s; \(have) assigned"))
            } else if oddRule && have % 2 == 0 {
                problems.append(FieldError(code: "even_panel", field: "staff",
                                           zh: "\(room.name)：\(need.role.nameZH)人数须为奇数，现有 \(have) 名",
                                           en: "\(room.name): the number of examiners must be odd; \(have) assigned"))
            }
        }
        if supervisors < 1 {
            problems.append(FieldError(code: "no_supervisor", field: "staff", zh: "每个场次至少需要 1 名督导员", en: "every session needs a supervisor"))
        }
        return problems
    }
}

/// Seats candidates in rooms at random while keeping people of one employer apart: candidates are shuffled with a
/// recorded seed, then dealt employer by employer (the employer with the most people still waiting goes first, never
/// the same employer twice in a row when another is waiting), and seated in that order, room by room.
public enum SeatAllocator {
    public struct Candidate: Sendable, Equatable {
        public var id: UUID
        public var employer: String

        public init(id: UUID, employer: String) {
            self.id = id
            self.employer = employer
        }
    }

    public struct Room: Sendable, Equatable {
        public var id: UUID
        public var capacity: Int

        public init(id: UUID, capacity: Int) {
            self.id = id
            self.capacity = capacity
        }
    }

    public struct Seat: Sendable, Equatable {
        public var candidate: UUID
        public var room: UUID
        /// 1-based within the room.
        public var number: Int
    }

    public enum Failure: Error, Equatable {
        case overCapacity(candidates: Int, seats: Int)
    }

    public static func allocate(_ candidates: [Candidate], rooms: [Room], seed: UInt64) throws -> [Seat] {
        let seats = rooms.reduce(0) { $0 + max($1.capacity, 0) }
        guard candidates.count <= seats else { throw Failure.overCapacity(candidates: candidates.count, seats: seats) }
        var rng = SeededGenerator(seed: seed)
        var groups: [String: [Candidate]] = [:]
        for c in candidates.shuffled(using: &rng) {
            groups[c.employer.trimmingCharacters(in: .whitespaces), default: []].append(c)
        }
        // Ties are broken by a seeded order of employers, so the same seed gives the same plan.
        let order = groups.keys.sorted().shuffled(using: &rng)
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var sequence: [Candidate] = []
        var last: String?
        while sequence.count < candidates.count {
            let waiting = groups.filter { !$0.value.isEmpty }
            let pick = waiting.keys.sorted { a, b in
                let (x, y) = (waiting[a]!.count, waiting[b]!.count)
                return x != y ? x > y : rank[a]! < rank[b]!
            }
            let employer = pick.first { $0 != last || pick.count == 1 } ?? pick[0]
            sequence.append(groups[employer]!.removeFirst())
            last = employer
        }
        var result: [Seat] = []
        var index = 0
        for room in rooms {
            for number in 1...max(room.capacity, 1) where index < sequence.count && number <= room.capacity {
                result.append(Seat(candidate: sequence[index].id, room: room.id, number: number))
                index += 1
            }
        }
        return result
    }
}

/// Admission-ticket numbers: plan year (4) + plan sequence (3) + level (1) + serial (5) + a check digit (Luhn), so a
/// mistyped or misread number is caught at check-in.
public enum TicketNumber {
    public static func make(planNumber: String, level: Int, serial: Int) -> String {
        let digits = planNumber.filter(\.isNumber)
        let year = String(digits.prefix(4))
        let sequence = String(format: "%03d", Int(digits.dropFirst(4)) ?? 0)
        let body = year + sequence + String(max(0, min(level, 9))) + String(format: "%05d", serial)
        return body + String(checkDigit(body))
    }

    public static func isValid(_ number: String) -> Bool {
        guard number.count == 14, number.allSatisfy(\.isNumber) else { return false }
        return checkDigit(String(number.dropLast())) == number.last!.wholeNumberValue!
    }

    static func checkDigit(_ body: String) -> Int {
        var sum = 0
        for (i, c) in body.reversed().enumerated() {
            var d = c.wholeNumberValue ?? 0
            if i % 2 == 0 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return (10 - sum % 10) % 10
    }
}

/// The draw of staff from the qualified pool (双随机): a seeded shuffle, so the record of the seed reproduces it.
public enum StaffDraw {
    public static func draw<ID: Comparable>(_ pool: [ID], count: Int, seed: UInt64) -> [ID] {
        var rng = SeededGenerator(seed: seed)
        return Array(pool.sorted().shuffled(using: &rng).prefix(count))
    }
}
