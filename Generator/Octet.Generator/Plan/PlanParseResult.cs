using System.Collections.Generic;

namespace Octet.Generator.Plan
{
    /// <summary>What went wrong with a plan, so the generator can pick a diagnostic per kind.</summary>
    public enum PlanProblemKind
    {
        /// <summary>A statement is malformed, out of order, or refers to something the plan does not declare.</summary>
        Malformed,
        /// <summary>The plan's format version is not the one this reader knows (<see cref="ModelPlan.CurrentVersion"/>).</summary>
        VersionMismatch,
    }

    /// <summary>One problem found while reading a plan: the 1-based line it is on (0 when it concerns the whole file).</summary>
    public sealed record PlanProblem(int Line, PlanProblemKind Kind, string Message)
    {
        public override string ToString() => Line > 0 ? $"line {Line}: {Message}" : Message;
    }

    /// <summary>
    /// The outcome of <see cref="PlanParser.Parse"/>: the plan when the text is a valid plan, otherwise null and
    /// at least one problem. The parser never throws on bad input; problems are data.
    /// </summary>
    public sealed record PlanParseResult(string Path, ModelPlan? Plan, EquatableArray<PlanProblem> Problems)
    {
        public bool Succeeded => Plan != null && Problems.Count == 0;

        internal static PlanParseResult From(string path, ModelPlan? plan, List<PlanProblem> problems) =>
            new PlanParseResult(path, problems.Count == 0 ? plan : null, problems.ToEquatableArray());
    }
}
