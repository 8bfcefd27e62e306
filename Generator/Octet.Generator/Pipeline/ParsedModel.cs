using Octet.Generator.Diagnostics;
using Octet.Generator.Plan;

namespace Octet.Generator.Pipeline
{
    /// <summary>
    /// The result of the parse step for one plan file: the plan (null when it could not be read), the class
    /// it becomes, the line of each op block (so emission problems can point at the op), and the problems.
    /// </summary>
    public sealed record ParsedModel(
        string Path,
        ModelPlan? Plan,
        string Namespace,
        string ClassName,
        EquatableArray<int> OpLines,
        EquatableArray<DiagnosticInfo> Diagnostics)
    {
        /// <summary>The generated class's full name, for the clash check.</summary>
        public string FullName => Namespace + "." + ClassName;

        /// <summary>Only plans without errors are emitted (a broken plan gets its diagnostics and no class).</summary>
        public bool CanEmit => Plan != null && Diagnostics.Count == 0;
    }
}
