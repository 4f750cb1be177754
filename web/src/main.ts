/** The playground page: the shapes view, the live training view and the text-generation view. */
import './style.css';
import { initGenerate } from './generate/view.js';
import { initShapes } from './shapes/view.js';
import { initTraining } from './train/view.js';

initShapes();
initTraining();
initGenerate();
