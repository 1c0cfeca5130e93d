'use strict';
// The driver's side of linmem's `$name` expressions (harness/scenarios/expressions.py
// parses them and sends a postfix program; both sides evaluate it the same way).
// Arithmetic is on BigInt; `/` and `%` round toward negative infinity, as Python does.
// Plain ECMAScript with BigInt, no dependencies.

var MAX_SHIFT = 4096;

function ExpressionError(message) {
  this.name = 'LinmemExpressionError';
  this.message = message;
}
ExpressionError.prototype = Object.create(Error.prototype);

function resolve(value, path) {
  for (var i = 0; i < path.length; i++) {
    var part = path[i];
    if (typeof part === 'string' && value !== null && typeof value === 'object' && !Array.isArray(value) &&
        Object.prototype.hasOwnProperty.call(value, part)) {
      value = value[part];
    } else if (typeof part === 'number' && Array.isArray(value) && part < value.length) {
      value = value[part];
    } else {
      throw new ExpressionError('the value has no ' + (typeof part === 'string' ? 'key ' : 'index ') + part);
    }
  }
  return value;
}

function integerOf(value) {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  throw new ExpressionError(String(value).slice(0, 40) + ' is not an integer');
}

function floorDivide(left, right) {
  var quotient = left / right;
  if ((left % right !== BigInt(0)) && ((left < BigInt(0)) !== (right < BigInt(0)))) quotient -= BigInt(1);
  return quotient;
}

function binary(operator, left, right) {
  if ((operator === '/' || operator === '%') && right === BigInt(0)) throw new ExpressionError('division by zero');
  if ((operator === '<<' || operator === '>>') && (right < BigInt(0) || right > BigInt(MAX_SHIFT))) {
    throw new ExpressionError('a shift by ' + right + ' (0 to ' + MAX_SHIFT + ')');
  }
  switch (operator) {
    case '+': return left + right;
    case '-': return left - right;
    case '*': return left * right;
    case '/': return floorDivide(left, right);
    case '%': return left - floorDivide(left, right) * right;
    case '&': return left & right;
    case '|': return left | right;
    case '^': return left ^ right;
    case '<<': return left << right;
    case '>>': return left >> right;
  }
  throw new ExpressionError('unknown operator ' + operator);
}

// Run a postfix program with the named observations `values`; a BigInt.
function evaluate(program, values) {
  var stack = [];
  program.forEach(function (instruction) {
    var operator = instruction[0];
    if (operator === 'int') {
      stack.push(BigInt(instruction[1]));
    } else if (operator === 'ref') {
      if (!Object.prototype.hasOwnProperty.call(values, instruction[1])) {
        throw new ExpressionError('$' + instruction[1] + ' has no value');
      }
      stack.push(integerOf(resolve(values[instruction[1]], instruction.slice(2))));
    } else if (operator === 'neg' || operator === 'pos' || operator === '~') {
      var operand = stack.pop();
      stack.push(operator === 'neg' ? -operand : operator === 'pos' ? operand : ~operand);
    } else {
      var right = stack.pop();
      var left = stack.pop();
      stack.push(binary(operator, left, right));
    }
  });
  return stack[0];
}

function isExpression(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Array.isArray(value.program);
}

module.exports = { evaluate: evaluate, isExpression: isExpression, ExpressionError: ExpressionError };
