import Compute
import Testing

/// A network that holds its parameters (`Sequential.holdsParameters`) keeps Linear's Wᵀ copy
/// across forward passes; every pass must still give the bits of a network that copies afresh,
/// as long as each write to the parameters is followed by `parametersDidChange()`.
@Suite struct HeldParametersTests {
    /// 11 → 128 → 128 → 3 as DQN's benchmark network: both hidden layers copy Wᵀ from the rows used here.
    func network(seed: UInt64) -> Sequential {
        var rng = Xoshiro256(seed: seed)
        return MLP.make(sizes: [11, 128, 128, 3], using: &rng)
    }

    func bits(_ m: Matrix) -> [UInt32] { (0..<m.count).map { m.base[$0].bitPattern } }

    @Test(arguments: [14, 64])
    func aHeldNetworkGivesTheBitsOfOneThatCopiesEveryPass(rows: Int) {
        let held = network(seed: 3), fresh = network(seed: 3)
        held.holdsParameters = true
        var rng = Xoshiro256(seed: 8)
        let inputs = (0..<3).map { _ in randomMatrix(rows, 11, &rng) }
        let other = network(seed: 5)
        for round in 0..<4 {
            for input in inputs {
                #expect(bits(held.forward(input.matrix)) == bits(fresh.forward(input.matrix)), "round \(round)")
            }
            // The parameters change the ways a target network's do: copied, then blended.
            if round % 2 == 0 {
                held.parameters.copyValues(from: other.parameters)
                fresh.parameters.copyValues(from: other.parameters)
            } else {
                held.parameters.blendValues(from: other.parameters, tau: 0.3)
                fresh.parameters.blendValues(from: other.parameters, tau: 0.3)
            }
            held.parametersDidChange()
        }
    }

    @Test func aHeldNetworkKeepsItsCopyUntilToldTheParametersChanged() {
        // The contract, shown from the other side: a write without parametersDidChange() is not
        // seen by the held network's wide layers, so the copy is in fact being reused.
        let held = network(seed: 3), fresh = network(seed: 3)
        held.holdsParameters = true
        var rng = Xoshiro256(seed: 9)
        let input = randomMatrix(64, 11, &rng)
        let before = bits(held.forward(input.matrix))
        let other = network(seed: 6)
        held.parameters.copyValues(from: other.parameters)
        fresh.parameters.copyValues(from: other.parameters)
        #expect(bits(held.forward(input.matrix)) != bits(fresh.forward(input.matrix)))
        held.parametersDidChange()
        #expect(bits(held.forward(input.matrix)) == bits(fresh.forward(input.matrix)))
        #expect(bits(held.forward(input.matrix)) != before)
        // Letting go of the hold copies on every pass again.
        held.holdsParameters = false
        held.parameters.copyValues(from: network(seed: 7).parameters)
        fresh.parameters.copyValues(from: network(seed: 7).parameters)
        #expect(bits(held.forward(input.matrix)) == bits(fresh.forward(input.matrix)))
    }
}
