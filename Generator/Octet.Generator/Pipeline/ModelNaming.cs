using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace Octet.Generator.Pipeline
{
    /// <summary>Choosing and checking the generated class's name and namespace.</summary>
    public static class ModelNaming
    {
        /// <summary>The namespace used when the project gives neither <c>OctetNamespace</c> nor a <c>RootNamespace</c>.</summary>
        public const string DefaultNamespace = "Octet.Models";

        /// <summary>
        /// PascalCase of a model name: split at anything that is not an ASCII letter or digit, each part's first
        /// letter upper-cased, the rest kept ("mnist-8" → "Mnist8", "conv_qdq_s8s8" → "ConvQdqS8s8"). A result that
        /// would start with a digit, or be empty, gets the prefix "Model".
        /// </summary>
        public static string PascalCase(string modelName)
        {
            var text = new StringBuilder();
            bool startOfPart = true;
            foreach (char c in modelName)
            {
                bool letterOrDigit = c < 128 && char.IsLetterOrDigit(c);
                if (!letterOrDigit)
                {
                    startOfPart = true;
                    continue;
                }
                text.Append(startOfPart ? char.ToUpperInvariant(c) : c);
                startOfPart = false;
            }
            if (text.Length == 0 || char.IsDigit(text[0])) text.Insert(0, "Model");
            return text.ToString();
        }

        /// <summary>A C# identifier that is not a keyword (contextual keywords are allowed, as C# allows them).</summary>
        public static bool IsValidIdentifier(string name) =>
            SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None;

        /// <summary>Dot-separated valid identifiers ("Octet.Models"); the <c>global::</c> prefix is not accepted.</summary>
        public static bool IsValidNamespace(string name) =>
            name.Length > 0 && name.Split('.').All(IsValidIdentifier);

        /// <summary>
        /// Trims and treats an empty value as absent: MSBuild passes item metadata that is not set as an empty string.
        /// </summary>
        public static string? Given(string? value)
        {
            value = value?.Trim();
            return string.IsNullOrEmpty(value) ? null : value;
        }
    }
}
