namespace Octet.Generator.Emit
{
    /// <summary>
    /// A problem found while emitting a model class, as data: the diagnostic id (see
    /// <c>Diagnostics.OctetDiagnostics</c>), a message naming the op or tensor, and the op's index (−1 when the
    /// problem is not about one op) so the generator can point at the op's line in the plan.
    /// </summary>
    public sealed record EmitProblem(string Id, string Message, int OpIndex);
}
