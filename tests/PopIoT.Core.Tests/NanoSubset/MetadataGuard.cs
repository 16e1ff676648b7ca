using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace PopIoT.Core.Tests.NanoSubset;

/// <summary>
/// Reads an assembly's metadata and lists everything stable nanoFramework cannot load
/// (DESIGN.md §4): generic parameters, MethodSpecs, generic instantiations anywhere in a
/// signature (TypeSpecs, fields, methods, member references, locals, properties), and
/// references to any assembly other than mscorlib. The C# compiler accepts all of these
/// when compiling against nanoFramework's mscorlib, so the build alone is not enough.
/// </summary>
public static class MetadataGuard
{
    /// <summary>Returns one line per violation; an empty list means the assembly is fine.</summary>
    public static IReadOnlyList<string> FindViolations(byte[] image)
    {
        using var pe = new PEReader(ImmutableArray.Create(image));
        if (!pe.HasMetadata)
        {
            return ["the file has no ECMA-335 metadata"];
        }

        MetadataReader md = pe.GetMetadataReader();
        var found = new List<string>();

        foreach (AssemblyReferenceHandle h in md.AssemblyReferences)
        {
            string name = md.GetString(md.GetAssemblyReference(h).Name);
            if (name != "mscorlib")
            {
                found.Add($"references assembly '{name}' (only mscorlib is allowed)");
            }
        }

        // ECMA-335 §II.22.20: a GenericParam row exists for every generic type or method definition.
        foreach (GenericParameterHandle h in Enumerable.Range(1, md.GetTableRowCount(TableIndex.GenericParam)).Select(MetadataTokens.GenericParameterHandle))
        {
            GenericParameter gp = md.GetGenericParameter(h);
            found.Add($"generic parameter '{md.GetString(gp.Name)}' on {DescribeParent(md, gp.Parent)}");
        }

        // ECMA-335 §II.22.29: a MethodSpec is a call to an instantiated generic method.
        int methodSpecs = md.GetTableRowCount(TableIndex.MethodSpec);
        if (methodSpecs > 0)
        {
            found.Add($"{methodSpecs} MethodSpec row(s): calls to generic methods");
        }

        var probe = new GenericProbe();
        foreach (TypeSpecificationHandle h in Enumerable.Range(1, md.GetTableRowCount(TableIndex.TypeSpec)).Select(MetadataTokens.TypeSpecificationHandle))
        {
            Check(found, probe, "TypeSpec " + MetadataTokens.GetToken(h).ToString("X8", System.Globalization.CultureInfo.InvariantCulture),
                () => md.GetTypeSpecification(h).DecodeSignature(probe, null));
        }

        foreach (TypeDefinitionHandle th in md.TypeDefinitions)
        {
            TypeDefinition type = md.GetTypeDefinition(th);
            string typeName = md.GetString(type.Namespace) + "." + md.GetString(type.Name);
            foreach (FieldDefinitionHandle fh in type.GetFields())
            {
                FieldDefinition field = md.GetFieldDefinition(fh);
                Check(found, probe, $"field {typeName}.{md.GetString(field.Name)}", () => field.DecodeSignature(probe, null));
            }

            foreach (MethodDefinitionHandle mh in type.GetMethods())
            {
                MethodDefinition method = md.GetMethodDefinition(mh);
                string where = $"method {typeName}.{md.GetString(method.Name)}";
                Check(found, probe, where, () => method.DecodeSignature(probe, null));
                if (method.RelativeVirtualAddress != 0)
                {
                    MethodBodyBlock body = pe.GetMethodBody(method.RelativeVirtualAddress);
                    if (!body.LocalSignature.IsNil)
                    {
                        Check(found, probe, where + " (locals)", () => md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(probe, null));
                    }
                }
            }

            foreach (PropertyDefinitionHandle ph in type.GetProperties())
            {
                PropertyDefinition prop = md.GetPropertyDefinition(ph);
                Check(found, probe, $"property {typeName}.{md.GetString(prop.Name)}", () => prop.DecodeSignature(probe, null));
            }
        }

        foreach (MemberReferenceHandle h in md.MemberReferences)
        {
            MemberReference member = md.GetMemberReference(h);
            string where = "member reference " + md.GetString(member.Name);
            if (member.GetKind() == MemberReferenceKind.Method)
            {
                Check(found, probe, where, () => member.DecodeMethodSignature(probe, null));
            }
            else
            {
                Check(found, probe, where, () => member.DecodeFieldSignature(probe, null));
            }
        }

        return found;
    }

    private static void Check(List<string> found, GenericProbe probe, string where, Action decode)
    {
        probe.Reset();
        decode();
        if (probe.Hit != null)
        {
            found.Add($"{where} uses {probe.Hit}");
        }
    }

    private static string DescribeParent(MetadataReader md, EntityHandle parent) => parent.Kind switch
    {
        HandleKind.TypeDefinition => "type " + md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)parent).Name),
        HandleKind.MethodDefinition => "method " + md.GetString(md.GetMethodDefinition((MethodDefinitionHandle)parent).Name),
        _ => parent.Kind.ToString(),
    };

    /// <summary>A signature "type provider" that only records whether any generic construct appears.</summary>
    private sealed class GenericProbe : ISignatureTypeProvider<string, object?>
    {
        public string? Hit { get; private set; }

        public void Reset() => Hit = null;

        private string Flag(string what)
        {
            Hit ??= what;
            return what;
        }

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
            => Flag($"generic instantiation {genericType}<{string.Join(",", typeArguments)}>");

        public string GetGenericMethodParameter(object? genericContext, int index) => Flag("generic method parameter !!" + index);

        public string GetGenericTypeParameter(object? genericContext, int index) => Flag("generic type parameter !" + index);

        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[,]";

        public string GetByReferenceType(string elementType) => elementType + "&";

        public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetPinnedType(string elementType) => elementType;

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
            => reader.GetString(reader.GetTypeDefinition(handle).Name);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
            => reader.GetString(reader.GetTypeReference(handle).Name);

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
            => reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
