/// Order statistics without sorting: the column statistics' quartiles and Backtest's median bar
/// spacing need one or two ranks of a large sample, in expected linear time.
public enum Selection {
    /// The k-th smallest element (0-based), rearranging `x`: Hoare's quickselect with a
    /// median-of-three pivot (deterministic, no random pivot).
    @inlinable
    public static func kthSmallest<T: Comparable>(_ x: UnsafeMutableBufferPointer<T>, _ k: Int) -> T {
        precondition(x.indices.contains(k), "Selection: rank \(k) outside 0..<\(x.count)")
        var lo = 0, hi = x.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            let pivot = max(min(x[lo], x[mid]), min(max(x[lo], x[mid]), x[hi]))
            var i = lo, j = hi
            while i <= j {
                while x[i] < pivot { i += 1 }
                while x[j] > pivot { j -= 1 }
                if i <= j { x.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return x[k] }
        }
        return x[k]
    }
}
