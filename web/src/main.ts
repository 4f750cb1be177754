/** The playground page: the shapes view and the live training view. */
import './style.css';
import { initShapes } from './shapes/view.js';
import { initTraining } from './train/view.js';

initShapes();
initTraining();
