import { describe, expect, test } from 'vitest';
import { InternalError } from '../../src/errors.js';
import { parseTemplate, renderDeep, renderTemplate, templateVariables } from '../../src/recipe/index.js';

const vars = {
  id: 'mug',
  subject: '  A Glazed Café Mug  ',
  seed: 11,
  draft: true,
  'steps.idea.text': 'an idea',
};

describe('parseTemplate', () => {
  test('splits text and variables, with filters', () => {
    const parsed = parseTemplate('{{ id }}-{{seed|slug}} x {{ subject | trim | upper }}');
    expect(parsed.errors).toEqual([]);
    expect(parsed.variables).toEqual(['id', 'seed', 'subject']);
    expect(parsed.parts).toEqual([
      { kind: 'variable', name: 'id', filters: [], source: '{{ id }}' },
      { kind: 'text', text: '-' },
      { kind: 'variable', name: 'seed', filters: ['slug'], source: '{{seed|slug}}' },
      { kind: 'text', text: ' x ' },
      {
        kind: 'variable',
        name: 'subject',
        filters: ['trim', 'upper'],
        source: '{{ subject | trim | upper }}',
      },
    ]);
  });

  test('reports problems instead of throwing', () => {
    expect(parseTemplate('a {{ b').errors[0]?.message).toContain('never closed');
    expect(parseTemplate('{{ }}').errors[0]?.message).toContain('empty template');
    expect(parseTemplate('{{ a.b() }}').errors[0]?.message).toContain('not a variable name');
    expect(parseTemplate('{{ "x" }}').errors[0]?.message).toContain('no expressions');
    expect(parseTemplate('{{ a | title }}').errors[0]).toEqual({
      index: 0,
      message: 'unknown filter "title" in "{{ a | title }}" (filters: lower, upper, slug, trim)',
    });
  });

  test('text without templates, and a lone "}}", is one text part', () => {
    expect(parseTemplate('plain }} text')).toEqual({
      parts: [{ kind: 'text', text: 'plain }} text' }],
      variables: [],
      errors: [],
    });
  });

  test('templateVariables lists each name once, in order, including step results', () => {
    expect(templateVariables('{{ b }} {{ a }} {{ b | upper }} {{ steps.idea.text }}')).toEqual([
      'b',
      'a',
      'steps.idea.text',
    ]);
  });
});

describe('renderTemplate', () => {
  test('fills variables and applies filters left to right', () => {
    expect(renderTemplate('{{ id | upper }}/{{ subject | trim }}', vars)).toBe('MUG/A Glazed Café Mug');
    expect(renderTemplate('{{ subject | slug }}', vars)).toBe('a-glazed-cafe-mug');
    expect(renderTemplate('{{ subject | trim | lower }}', vars)).toBe('a glazed café mug');
    expect(renderTemplate('seed {{ seed }}, draft {{ draft }}', vars)).toBe('seed 11, draft true');
    expect(renderTemplate('{{ steps.idea.text }}!', vars)).toBe('an idea!');
    expect(renderTemplate('no templates', {})).toBe('no templates');
  });

  test('an unknown variable or a broken template is a bug by then', () => {
    expect(() => renderTemplate('{{ nope }}', vars)).toThrow(InternalError);
    expect(() => renderTemplate('{{ nope }}', vars)).toThrow(/unknown variable "nope"/);
    expect(() => renderTemplate('{{ id', vars)).toThrow(InternalError);
  });
});

describe('renderDeep', () => {
  test('a string that is exactly one template keeps the type of the value', () => {
    const input = {
      seed: '{{ seed }}',
      draft: '{{ draft }}',
      label: '{{ seed | slug }}',
      spaced: ' {{ seed }}',
      prompt: 'a {{ id }}',
      list: ['{{ seed }}', 3, null],
      nested: { deep: '{{ id | upper }}' },
      count: 2,
    };
    const copy = structuredClone(input);
    expect(renderDeep(input, vars)).toEqual({
      seed: 11,
      draft: true,
      label: '11',
      spaced: ' 11',
      prompt: 'a mug',
      list: [11, 3, null],
      nested: { deep: 'MUG' },
      count: 2,
    });
    expect(input).toEqual(copy);
  });
});
