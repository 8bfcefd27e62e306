using Octet.Generator.Plan;

namespace Octet.Generator.Emit
{
    /// <summary>
    /// The source of one model class and the problems found while writing it. The source is complete and
    /// compiles even when there are problems (an op that could not be emitted throws NotSupportedException),
    /// so the IDE still sees the class's API; the problems are errors that fail the build.
    /// </summary>
    public sealed record ModelEmitResult(string Source, EquatableArray<EmitProblem> Problems);
}
