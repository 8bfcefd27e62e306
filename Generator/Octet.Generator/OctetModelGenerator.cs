using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Octet.Generator.Diagnostics;
using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Octet.Generator.Pipeline;

namespace Octet.Generator
{
    /// <summary>
    /// The Octet source generator: every additional file whose name ends in <see cref="PlanExtension"/> is a
    /// model plan (docs/model-plan.md) and becomes one model class.
    /// <para>
    /// Names: the item metadata <c>OctetClassName</c> and <c>OctetNamespace</c> (made visible to the compiler
    /// with <c>CompilerVisibleItemMetadata Include="AdditionalFiles"</c>); without them the class is the
    /// PascalCase of the plan's model name and the namespace the project's <c>RootNamespace</c> (made visible
    /// with <c>CompilerVisibleProperty</c>), else <c>Octet.Models</c>.
    /// </para>
    /// <para>
    /// Pipeline: read (path, text, names) → parse (<see cref="TrackingNames.Parse"/>) → emit
    /// (<see cref="TrackingNames.Emit"/>), with only equatable data between steps, so editing a C# file re-runs
    /// neither parsing nor emission. A check over all plans (<see cref="TrackingNames.ClassNames"/>) reports two
    /// plans that would produce the same class. Problems are diagnostics (<see cref="OctetDiagnostics"/>); the
    /// generator never throws.
    /// </para>
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class OctetModelGenerator : IIncrementalGenerator
    {
        /// <summary>
        /// The file name ending of a model plan. Specific to Octet (not ".plan") so that unrelated additional files
        /// of other tools are never mistaken for plans.
        /// </summary>
        public const string PlanExtension = ".octet-plan";

        public const string ClassNameMetadata = "build_metadata.AdditionalFiles.OctetClassName";
        public const string NamespaceMetadata = "build_metadata.AdditionalFiles.OctetNamespace";
        public const string RootNamespaceProperty = "build_property.RootNamespace";

        /// <summary>Names of the pipeline steps, for tests of incrementality (<c>GeneratorRunResult.TrackedSteps</c>).</summary>
        public static class TrackingNames
        {
            public const string Files = "OctetPlanFiles";
            public const string Parse = "OctetParsePlan";
            public const string Emit = "OctetEmitModel";
            public const string ClassNames = "OctetClassNames";
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var rootNamespace = context.AnalyzerConfigOptionsProvider
                .Select((options, _) => options.GlobalOptions.TryGetValue(RootNamespaceProperty, out var value) ? value : null);

            var files = context.AdditionalTextsProvider
                .Where(text => text.Path.EndsWith(PlanExtension, StringComparison.OrdinalIgnoreCase))
                .Combine(context.AnalyzerConfigOptionsProvider)
                .Combine(rootNamespace)
                .Select((pair, token) => ReadFile(pair.Left.Left, pair.Left.Right, pair.Right, token))
                .WithTrackingName(TrackingNames.Files);

            var parsed = files.Select((file, token) => Parse(file, token)).WithTrackingName(TrackingNames.Parse);

            var emitted = parsed.Select((model, token) => Emit(model, token)).WithTrackingName(TrackingNames.Emit);

            var clashes = parsed
                .Where(model => model.CanEmit)
                .Select((model, _) => new ClassClaim(model.Path, model.FullName))
                .Collect()
                .Select((claims, _) => FindClashes(claims))
                .WithTrackingName(TrackingNames.ClassNames);

            context.RegisterSourceOutput(emitted.Combine(clashes), (output, pair) => Output(output, pair.Left, pair.Right));
        }

        private static PlanFile ReadFile(AdditionalText text, AnalyzerConfigOptionsProvider options, string? rootNamespace, CancellationToken token)
        {
            var fileOptions = options.GetOptions(text);
            fileOptions.TryGetValue(ClassNameMetadata, out var className);
            fileOptions.TryGetValue(NamespaceMetadata, out var @namespace);
            // A file that cannot be read gives null text; the parser then reports it as malformed (empty).
            string content = text.GetText(token)?.ToString() ?? "";
            return new PlanFile(text.Path, content, className, @namespace, rootNamespace);
        }

        /// <summary>The parse step: plan text → plan, class name, namespace and problems. Public for tests.</summary>
        public static ParsedModel Parse(PlanFile file, CancellationToken token = default)
        {
            string fileName = System.IO.Path.GetFileName(file.Path);
            var diagnostics = new List<DiagnosticInfo>();
            try
            {
                var result = PlanParser.Parse(file.Text, file.Path);
                foreach (var problem in result.Problems)
                {
                    string id = problem.Kind == PlanProblemKind.VersionMismatch ? OctetDiagnostics.VersionMismatch.Id : OctetDiagnostics.MalformedPlan.Id;
                    string where = problem.Line > 0 ? $"{fileName}({problem.Line})" : fileName;
                    diagnostics.Add(new DiagnosticInfo(id, $"{where}: {problem.Message}", file.Path, problem.Line));
                }
                var plan = result.Succeeded ? result.Plan : null;
                if (plan == null && diagnostics.Count == 0)
                    diagnostics.Add(new DiagnosticInfo(OctetDiagnostics.MalformedPlan.Id, $"{fileName}: not a valid model plan", file.Path, 0));

                string? givenClass = ModelNaming.Given(file.ClassName), givenNamespace = ModelNaming.Given(file.Namespace);
                string className = givenClass ?? ModelNaming.PascalCase(plan?.Model ?? StemOf(fileName));
                string? rootNamespace = ModelNaming.Given(file.RootNamespace);
                string @namespace = givenNamespace ?? rootNamespace ?? ModelNaming.DefaultNamespace;
                if (!ModelNaming.IsValidIdentifier(className))
                    diagnostics.Add(new DiagnosticInfo(OctetDiagnostics.InvalidName.Id,
                        $"{fileName}: class name '{className}' {(givenClass != null ? "(OctetClassName)" : "(from the model name)")} is not a valid C# identifier; set OctetClassName / ClassName to one",
                        file.Path, 0));
                if (!ModelNaming.IsValidNamespace(@namespace))
                    diagnostics.Add(new DiagnosticInfo(OctetDiagnostics.InvalidName.Id,
                        $"{fileName}: namespace '{@namespace}' {(givenNamespace != null ? "(OctetNamespace)" : "(the project's RootNamespace)")} is not a valid C# namespace; set OctetNamespace / Namespace to one",
                        file.Path, 0));
                return new ParsedModel(file.Path, plan, @namespace, className, OpLines(file.Text), diagnostics.ToEquatableArray());
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                diagnostics.Add(Internal(file.Path, "reading the plan", e));
                return new ParsedModel(file.Path, null, ModelNaming.DefaultNamespace, "Model", EquatableArray<int>.Empty, diagnostics.ToEquatableArray());
            }
        }

        private static string StemOf(string fileName) =>
            fileName.EndsWith(PlanExtension, StringComparison.OrdinalIgnoreCase) ? fileName.Substring(0, fileName.Length - PlanExtension.Length) : fileName;

        /// <summary>The 1-based line of each <c>op</c> statement, in order, so emission problems can point at their op.</summary>
        private static EquatableArray<int> OpLines(string text)
        {
            var lines = new List<int>();
            int line = 1;
            for (int start = 0; start <= text.Length;)
            {
                int end = text.IndexOf('\n', start);
                if (end < 0) end = text.Length;
                if (string.CompareOrdinal(text, start, "op ", 0, 3) == 0) lines.Add(line);
                start = end + 1;
                line++;
            }
            return lines.ToEquatableArray();
        }

        /// <summary>The emit step: a parsed plan → the class source and all diagnostics for this file. Public for tests.</summary>
        public static GeneratedModel Emit(ParsedModel model, CancellationToken token = default)
        {
            string hintName = model.FullName + ".g.cs";
            if (!model.CanEmit) return new GeneratedModel(model.Path, model.FullName, hintName, null, model.Diagnostics);
            string fileName = System.IO.Path.GetFileName(model.Path);
            var diagnostics = new List<DiagnosticInfo>(model.Diagnostics);
            try
            {
                var result = ModelClassEmitter.Emit(model.Plan!, model.Namespace, model.ClassName);
                foreach (var problem in result.Problems)
                {
                    int line = problem.OpIndex >= 0 && problem.OpIndex < model.OpLines.Count ? model.OpLines[problem.OpIndex] : 0;
                    string where = line > 0 ? $"{fileName}({line})" : fileName;
                    diagnostics.Add(new DiagnosticInfo(problem.Id, $"{where}: {problem.Message}", model.Path, line));
                }
                return new GeneratedModel(model.Path, model.FullName, hintName, result.Source, diagnostics.ToEquatableArray());
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                diagnostics.Add(Internal(model.Path, "emitting the model class", e));
                return new GeneratedModel(model.Path, model.FullName, hintName, null, diagnostics.ToEquatableArray());
            }
        }

        /// <summary>One plan's claim on a class name.</summary>
        public sealed record ClassClaim(string Path, string FullName);

        /// <summary>Plans that lose a class name to an earlier plan (by path, ordinal), with their diagnostics.</summary>
        public sealed record NameClashes(EquatableArray<string> LosingPaths, EquatableArray<DiagnosticInfo> Diagnostics);

        private static NameClashes FindClashes(ImmutableArray<ClassClaim> claims)
        {
            var losers = new List<string>();
            var diagnostics = new List<DiagnosticInfo>();
            foreach (var group in claims.GroupBy(c => c.FullName, StringComparer.Ordinal))
            {
                var ordered = group.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
                foreach (var loser in ordered.Skip(1))
                {
                    losers.Add(loser.Path);
                    diagnostics.Add(new DiagnosticInfo(OctetDiagnostics.ClassNameClash.Id,
                        $"{System.IO.Path.GetFileName(loser.Path)}: class {loser.FullName} is already generated from {ordered[0].Path}; " +
                        "give one of the models another ClassName or Namespace (OctetClassName / OctetNamespace)", loser.Path, 0));
                }
            }
            return new NameClashes(losers.ToEquatableArray(), diagnostics.ToEquatableArray());
        }

        private static void Output(SourceProductionContext output, GeneratedModel model, NameClashes clashes)
        {
            try
            {
                foreach (var diagnostic in model.Diagnostics) output.ReportDiagnostic(OctetDiagnostics.Create(diagnostic));
                bool lost = clashes.LosingPaths.Contains(model.Path);
                foreach (var diagnostic in clashes.Diagnostics.Where(d => d.Path == model.Path))
                    output.ReportDiagnostic(OctetDiagnostics.Create(diagnostic));
                if (model.Source != null && !lost)
                    output.AddSource(model.HintName, SourceText.From(model.Source, Encoding.UTF8));
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                output.ReportDiagnostic(OctetDiagnostics.Create(Internal(model.Path, "adding the generated source", e)));
            }
        }

        private static DiagnosticInfo Internal(string path, string doing, Exception e) =>
            new DiagnosticInfo(OctetDiagnostics.InternalError.Id,
                $"{System.IO.Path.GetFileName(path)}: internal error while {doing}: {e.GetType().Name}: {e.Message} (please report it with the plan file)", path, 0);
    }
}
