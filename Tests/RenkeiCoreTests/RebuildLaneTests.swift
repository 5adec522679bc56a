@testable import RenkeiCore
import Testing

/// The rebuild's lanes cover what the live platform folds: every projection in a lane, none in two (but the
/// exchange, in its two shares of the units), and no key space written by two lanes' projections.
@Suite struct RebuildLaneTests {
    @Test func everyProjectionFoldsInExactlyOneLane() {
        let lanes = RebuildLane.all
        #expect(Set(lanes.flatMap { $0.projections.map(\.name) }) == Set(allProjections.map(\.name)))
        let unshared = lanes.filter { $0.share == nil }.flatMap { $0.projections.map(\.name) }
        #expect(unshared.count == Set(unshared).count, "a projection in two lanes")
        let shared = lanes.filter { $0.share != nil }
        #expect(Set(shared.flatMap { $0.projections.map(\.name) }) == ["exchange"], "only the exchange splits by unit")
        #expect(Set(shared.map { $0.share!.index }) == Set(0 ..< shared[0].share!.count), "the shares cover every unit")
        let spaces = lanes.filter { $0.share == nil || $0.share!.index == 0 }.flatMap { $0.projections.flatMap(\.keySpaces) }
        #expect(spaces.count == Set(spaces).count, "a key space written by two lanes")
        #expect(Set(spaces) == Set(ProjectionSpaces.all))
    }
}
