/// A running sum with Neumaier's compensation: the rounding error of every addition is kept
/// in a second term, so a sum that many values enter and leave (a sliding window) stays exact to
/// the rounding of its current value instead of drifting with its history.
struct CompensatedSum {
    private var sum = 0.0
    private var compensation = 0.0

    mutating func add(_ value: Double) {
        let t = sum + value
        compensation += abs(sum) >= abs(value) ? (sum - t) + value : (value - t) + sum
        sum = t
    }

    var value: Double { sum + compensation }
}
