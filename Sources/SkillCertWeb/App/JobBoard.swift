/// Progress of work started from a page and run in the background (issuing a batch of certificates, analysing a
/// paper), keyed by what it works on: at most one run per key at a time; the page polls the state.
actor JobBoard<Key: Hashable & Sendable> {
    struct State: Sendable {
        var done = 0
        var total = 0
        var running = true
        var error: String?
    }

    private var states: [Key: State] = [:]

    /// Marks a run as started; false when one is already running for `key`.
    func start(_ key: Key) -> Bool {
        if states[key]?.running == true { return false }
        states[key] = State()
        return true
    }

    func update(_ key: Key, _ change: @Sendable (inout State) -> Void) {
        var s = states[key] ?? State()
        change(&s)
        states[key] = s
    }

    func state(_ key: Key) -> State? { states[key] }
}
