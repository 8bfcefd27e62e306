using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Octet.Generator.Diagnostics
{
    /// <summary>
    /// Every diagnostic the Octet generator reports. The generator never throws: each problem with a plan
    /// becomes one of these, pointing at the plan file (and line, when one is known).
    /// </summary>
    public static class OctetDiagnostics
    {
        private const string Category = "Octet";

        /// <summary>The plan text breaks the format (docs/model-plan.md): the message gives the line and what is wrong.</summary>
        public static readonly DiagnosticDescriptor MalformedPlan = Error("OCT001", "Malformed Octet model plan");

        /// <summary>The plan was written in a format version this generator does not read (recompile the model with the matching Octet).</summary>
        public static readonly DiagnosticDescriptor VersionMismatch = Error("OCT002", "Octet model plan version mismatch");

        /// <summary>Two plans would generate the same class (same namespace and name).</summary>
        public static readonly DiagnosticDescriptor ClassNameClash = Error("OCT003", "Two Octet models generate the same class");

        /// <summary>The plan contains an op type no emitter handles, or an op in a form its emitter does not support.</summary>
        public static readonly DiagnosticDescriptor UnsupportedOp = Error("OCT004", "Unsupported op in Octet model plan");

        /// <summary>The class name or namespace (from OctetClassName / OctetNamespace metadata, or derived from the model name) is not a valid C# name.</summary>
        public static readonly DiagnosticDescriptor InvalidName = Error("OCT005", "Invalid class name or namespace for an Octet model");

        /// <summary>The plan parses but is inconsistent in a way that prevents emission (e.g. an op names a tensor the plan does not declare).</summary>
        public static readonly DiagnosticDescriptor InconsistentPlan = Error("OCT006", "Inconsistent Octet model plan");

        /// <summary>A bug in the generator: it caught an exception instead of crashing the build. The message carries it.</summary>
        public static readonly DiagnosticDescriptor InternalError = Error("OCT999", "Octet generator internal error");

        public static IReadOnlyList<DiagnosticDescriptor> All { get; } = new[]
        {
            MalformedPlan, VersionMismatch, ClassNameClash, UnsupportedOp, InvalidName, InconsistentPlan, InternalError,
        };

        private static DiagnosticDescriptor Error(string id, string title) =>
            new DiagnosticDescriptor(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static DiagnosticDescriptor Descriptor(string id) => All.FirstOrDefault(d => d.Id == id) ?? InternalError;

        /// <summary>The Roslyn diagnostic for <paramref name="info"/>, located in the plan file (at its line when known).</summary>
        public static Diagnostic Create(DiagnosticInfo info)
        {
            var position = new LinePosition(info.Line > 0 ? info.Line - 1 : 0, 0);
            var location = Location.Create(info.Path, default(TextSpan), new LinePositionSpan(position, position));
            return Diagnostic.Create(Descriptor(info.Id), location, info.Message);
        }
    }
}
